"""β-TCVAE: the minibatch-weighted-sampling decomposition of the KL (Chen et al. 2018)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from torch.distributions import Normal  # noqa: E402

from ibkit.exceptions import InvalidParameterError  # noqa: E402
from ibkit.nn import (  # noqa: E402
    BernoulliDecoder,
    BetaTCVAE,
    MixturePrior,
    MLPDecoderNet,
    MLPEncoder,
)

D, L, N_DATA = 10, 3, 500


def _model(**kw) -> BetaTCVAE:
    torch.manual_seed(0)
    enc, dec = MLPEncoder(D, L, hidden=(16,)), BernoulliDecoder(MLPDecoderNet(L, D, hidden=(16,)))
    return BetaTCVAE(enc, dec, dataset_size=N_DATA, **kw)


def _data(n: int = 16) -> torch.Tensor:
    return (torch.rand(n, D, generator=torch.Generator().manual_seed(1)) > 0.5).float()


def _mws_by_loops(mean, log_var, z, n_data):
    """The MWS estimator written out with loops and torch.distributions (independent peer)."""
    m = z.shape[0]
    q = Normal(mean, torch.exp(0.5 * log_var))
    log_qz, log_prod = [], []
    for i in range(m):
        per = torch.stack([q.log_prob(z[i])[j] for j in range(m)])  # (M, D): log q(z_i,d|x_j)
        log_qz.append(torch.logsumexp(per.sum(1), 0) - math.log(m * n_data))
        log_prod.append((torch.logsumexp(per, 0) - math.log(m * n_data)).sum())
    log_qz, log_prod = torch.stack(log_qz), torch.stack(log_prod)
    log_qzx = q.log_prob(z).sum(1)
    log_pz = Normal(0.0, 1.0).log_prob(z).sum(1)
    return {
        "index_code_mi": (log_qzx - log_qz).mean(),
        "total_correlation": (log_qz - log_prod).mean(),
        "dimension_wise_kl": (log_prod - log_pz).mean(),
    }


def test_decomposition_matches_loop_implementation_and_sums_exactly():
    model = _model().double()
    mean, log_var = model.encode(_data().double())
    torch.manual_seed(2)
    z = model.reparameterize(mean, log_var)
    parts = model.decomposition(mean, log_var, z)
    ref = _mws_by_loops(mean, log_var, z, N_DATA)
    for key, value in ref.items():
        torch.testing.assert_close(parts[key], value, rtol=1e-10, atol=1e-10)
    total = parts["index_code_mi"] + parts["total_correlation"] + parts["dimension_wise_kl"]
    torch.testing.assert_close(total, parts["kl_mc"], rtol=0, atol=1e-12)


def test_forward_reports_parts_and_weighted_loss():
    model = _model(beta=6.0, alpha=0.5, gamma=2.0)
    t = model(_data(), step=3)
    e = t.extra
    assert {"index_code_mi", "total_correlation", "dimension_wise_kl", "kl_mc"} <= set(e)
    expected = (t.distortion + 0.5 * e["index_code_mi"] + 6.0 * e["total_correlation"]
                + 2.0 * e["dimension_wise_kl"])
    torch.testing.assert_close(t.loss, expected)
    assert t.weight == 6.0
    torch.testing.assert_close(t.elbo, -(t.rate + t.distortion))
    torch.testing.assert_close(e["index_code_mi"] + e["total_correlation"]
                               + e["dimension_wise_kl"], e["kl_mc"])


def test_mc_rate_estimate_averages_to_the_analytic_rate():
    # kl_mc = E_q[log q(z|x) − log p(z)] is unbiased for the analytic KL (the reported rate).
    model = _model()
    x = _data()
    torch.manual_seed(3)
    with torch.no_grad():
        runs = [model(x) for _ in range(300)]
    mc = torch.stack([r.extra["kl_mc"] for r in runs])
    assert float(mc.mean()) == pytest.approx(float(runs[0].rate), abs=5 * float(mc.std()) / 17)


def test_tcvae_refuses_bad_options():
    with pytest.raises(InvalidParameterError, match="dataset_size"):
        _model(beta=1.0).__class__(
            MLPEncoder(D, L, hidden=()), BernoulliDecoder(MLPDecoderNet(L, D, hidden=())),
            dataset_size=0,
        )
    with pytest.raises(InvalidParameterError, match="factorised prior"):
        BetaTCVAE(MLPEncoder(D, L, hidden=()), BernoulliDecoder(MLPDecoderNet(L, D, hidden=())),
                  MixturePrior(L, 3), dataset_size=10)
    with pytest.raises(InvalidParameterError, match="beta"):
        _model(beta=-0.1)
    small = BetaTCVAE(MLPEncoder(D, L, hidden=()), BernoulliDecoder(MLPDecoderNet(L, D, hidden=())),
                      dataset_size=4)
    with pytest.raises(InvalidParameterError, match="batch size"):
        small(_data(8))
