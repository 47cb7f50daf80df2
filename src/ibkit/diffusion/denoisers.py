r"""Denoisers ``net(x_t, t)`` for :class:`~ibkit.diffusion.DDPM` [torch].

- :class:`MLPDenoiser`: vectors ``(B, d)``, sinusoidal time embedding.
- :class:`UNet`: small U-Net for single-channel images ``(B, C, H, W)`` (8×8 digits, 64×64
  dSprites), residual blocks with GroupNorm and a time embedding added in every block.
- :class:`GaussianOracleDenoiser`: the exact, linear optimum for Gaussian data (no parameters).

Every denoiser has ``data_shape`` and returns the shape of ``x_t`` (twice its channels, axis 1,
when ``learned_variance``).

References
----------
Vaswani et al. (2017), "Attention is all you need" (sinusoidal embedding).
Ronneberger, Fischer & Brox (2015), "U-Net"; Ho et al. (2020), Appendix B (the DDPM U-Net).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .._validation import check_choice, check_int
from ..exceptions import InvalidParameterError
from .oracle import GaussianOracle

__all__ = ["GaussianOracleDenoiser", "MLPDenoiser", "UNet", "timestep_embedding"]


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    r"""Sinusoidal embedding of integer steps ``t`` ``(B,)`` → ``(B, dim)``.

    .. math:: e_{2k} = \cos(t\,\omega_k),\ e_{2k+1} = \sin(t\,\omega_k), \quad
              \omega_k = P^{-k/(d/2)}, \ P = 10^4
    """
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]  # (B, half)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)  # (B, 2·half)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1)
    return emb


class MLPDenoiser(nn.Module):
    r"""MLP on ``[x_t, emb(t)]`` for vector data: ``(B, dim)``, ``(B,)`` → ``(B, dim·k)``.

    .. math:: h_0 = W_\mathrm{in} x_t + e,\quad h_{l+1} = h_l + W_l\,\mathrm{SiLU}(h_l + e),
              \quad e = \mathrm{SiLU}(W_e\,\mathrm{emb}(t))

    (``k`` = 2 with ``learned_variance``, else 1; output in the units of the prediction target).

    Parameters
    ----------
    dim : int
        Data dimension d.
    hidden : int
        Width of the hidden layers.
    depth : int
        Number of hidden layers (≥ 1).
    time_dim : int
        Size of the sinusoidal time embedding.
    learned_variance : bool
        Output 2·d values (mean output, then the variance channel r) for ``variance="learned"``.
    """

    def __init__(self, dim: int, *, hidden: int = 128, depth: int = 3, time_dim: int = 64,
                 learned_variance: bool = False) -> None:
        super().__init__()
        self.dim = check_int(dim, "dim", minimum=1)
        self.time_dim = check_int(time_dim, "time_dim", minimum=2)
        hidden = check_int(hidden, "hidden", minimum=1)
        depth = check_int(depth, "depth", minimum=1)
        self.data_shape = (self.dim,)
        self.time_mlp = nn.Sequential(nn.Linear(self.time_dim, hidden), nn.SiLU())
        self.inp = nn.Linear(self.dim, hidden)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden)) for _ in range(depth)
        )
        self.out = nn.Sequential(nn.SiLU(), nn.Linear(hidden, self.dim * (2 if learned_variance
                                                                          else 1)))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, dim)``, integer ``t`` ``(B,)`` → prediction ``(B, dim·k)``."""
        emb = self.time_mlp(timestep_embedding(t, self.time_dim).to(x.dtype))  # (B, hidden)
        h = self.inp(x) + emb  # (B, hidden)
        for block in self.blocks:
            h = h + block(h + emb)  # residual, time added at every layer
        return self.out(h)  # (B, dim·k)


def _norm(channels: int, groups: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(groups, channels), channels)


class _ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int) -> None:
        super().__init__()
        self.block1 = nn.Sequential(_norm(c_in, groups), nn.SiLU(), nn.Conv2d(c_in, c_out, 3,
                                                                               padding=1))
        self.emb = nn.Linear(emb_dim, c_out)
        self.block2 = nn.Sequential(_norm(c_out, groups), nn.SiLU(), nn.Conv2d(c_out, c_out, 3,
                                                                                padding=1))
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.block1(x) + self.emb(emb)[:, :, None, None]  # (B, c_out, H, W)
        return self.skip(x) + self.block2(h)


class UNet(nn.Module):
    """Small U-Net for ``(B, channels, S, S)`` images; output ``(B, channels·k, S, S)``.

    Parameters
    ----------
    image_size : int
        S; must be divisible by 2^(levels − 1).
    channels : int
        Image channels (1 for digits and dSprites).
    base_channels : int
        Width of the first level.
    channel_mults : sequence of int, optional
        Width multipliers per level; default (1, 2) for S ≤ 16 and (1, 2, 2, 2) otherwise.
    groups : int
        GroupNorm groups (reduced to a divisor of each width).
    learned_variance : bool
        Double the output channels for ``variance="learned"``.
    """

    def __init__(self, image_size: int, *, channels: int = 1, base_channels: int = 32,
                 channel_mults: Sequence[int] | None = None, groups: int = 8,
                 learned_variance: bool = False) -> None:
        super().__init__()
        size = check_int(image_size, "image_size", minimum=2)
        channels = check_int(channels, "channels", minimum=1)
        base = check_int(base_channels, "base_channels", minimum=1)
        mults = tuple(channel_mults or ((1, 2) if size <= 16 else (1, 2, 2, 2)))
        if size % 2 ** (len(mults) - 1):
            raise InvalidParameterError(
                f"image_size must be divisible by 2^{len(mults) - 1} for {len(mults)} levels; "
                f"got {size}"
            )
        self.data_shape = (channels, size, size)
        self.base = base
        emb_dim = 4 * base
        self.time_mlp = nn.Sequential(nn.Linear(base, emb_dim), nn.SiLU(),
                                      nn.Linear(emb_dim, emb_dim))
        widths = [base * check_int(m, "channel_mults", minimum=1) for m in mults]
        self.conv_in = nn.Conv2d(channels, base, 3, padding=1)
        self.down = nn.ModuleList()
        self.pools = nn.ModuleList()
        c = base
        for i, w in enumerate(widths):
            self.down.append(_ResBlock(c, w, emb_dim, groups))
            last = i == len(widths) - 1
            self.pools.append(nn.Identity() if last else nn.Conv2d(w, w, 3, stride=2, padding=1))
            c = w
        self.mid = nn.ModuleList([_ResBlock(c, c, emb_dim, groups) for _ in range(2)])
        self.up = nn.ModuleList()
        self.unpools = nn.ModuleList()
        for i, w in reversed(list(enumerate(widths))):
            self.up.append(_ResBlock(c + w, w, emb_dim, groups))
            self.unpools.append(nn.Identity() if i == 0 else nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(w, w, 3, padding=1)))
            c = w
        out_ch = channels * (2 if learned_variance else 1)
        self.out = nn.Sequential(_norm(c, groups), nn.SiLU(), nn.Conv2d(c, out_ch, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, channels, S, S)``, integer ``t`` ``(B,)`` → ``(B, channels·k, S, S)``."""
        emb = self.time_mlp(timestep_embedding(t, self.base).to(x.dtype))  # (B, 4·base)
        h = self.conv_in(x)  # (B, base, S, S)
        skips = []
        for block, pool in zip(self.down, self.pools, strict=True):
            h = block(h, emb)  # (B, w_i, S/2^i, S/2^i)
            skips.append(h)
            h = pool(h)
        for block in self.mid:
            h = block(h, emb)
        for block, unpool in zip(self.up, self.unpools, strict=True):
            h = block(torch.cat([h, skips.pop()], dim=1), emb)  # (B, w_i, ...)
            h = unpool(h)
        return self.out(h)  # (B, channels·k, S, S)


class GaussianOracleDenoiser(nn.Module):
    r"""The optimal denoiser for x_0 ~ N(0, s² I_d): ``coef_t · x_t`` (no parameters).

    With ``learned_variance`` it adds the constant variance channel
    :math:`r_t = 2f_t - 1`, :math:`f_t = (\log\sigma_t^{*2} - \log\tilde\beta_t^{\rm clip}) /
    (\log\beta_t - \log\tilde\beta_t^{\rm clip})`, so that :class:`~ibkit.diffusion.DDPM`'s
    learned variance equals the optimal σ*²_t and the bound is exactly the oracle's.

    Parameters
    ----------
    oracle : GaussianOracle
        From :func:`~ibkit.diffusion.gaussian_oracle`.
    prediction : {"eps", "x0", "v"}
        Must match the DDPM's ``prediction``.
    learned_variance : bool
    """

    def __init__(self, oracle: GaussianOracle, *, prediction: str = "eps",
                 learned_variance: bool = False) -> None:
        super().__init__()
        if not isinstance(oracle, GaussianOracle):
            raise InvalidParameterError(f"oracle must be a GaussianOracle; got {oracle!r}")
        check_choice(prediction, "prediction", ("eps", "x0", "v"))
        coef = {"eps": oracle.eps_coef, "x0": oracle.x0_coef, "v": oracle.v_coef}[prediction]
        sched = oracle.schedule
        small, large = sched.posterior_log_variance_clipped, np.log(sched.betas)
        gap = large - small
        if learned_variance and np.any(gap == 0):
            raise InvalidParameterError(
                "the schedule has log β_t = log β̃_t at some t; the learned variance cannot "
                "reach the optimum there"
            )
        frac = (np.log(oracle.variance) - small) / np.where(gap == 0, 1.0, gap)
        self.data_shape = (oracle.dim,)
        self.learned_variance = bool(learned_variance)
        self.register_buffer("coef", torch.as_tensor(np.array(coef), dtype=torch.float64))
        self.register_buffer("var_channel", torch.as_tensor(2.0 * frac - 1.0,
                                                            dtype=torch.float64))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        r"""``x`` ``(B, d)``, integer ``t`` ``(B,)`` → ``(B, d)`` or ``(B, 2d)`` (learned variance).

        .. math:: \text{out} = c_t\,x_t \;\big[\,\Vert\, r_t \mathbf 1_d\big]
        """
        out = self.coef.to(x.dtype)[t][:, None] * x  # (B, d)
        if self.learned_variance:
            r = self.var_channel.to(x.dtype)[t][:, None].expand_as(x)  # (B, d)
            out = torch.cat([out, r], dim=1)  # (B, 2d)
        return out
