"""Multi-process training under ``torchrun``: DistributedDataParallel with rank-0 side effects.

Launch any script that calls :meth:`ibkit.nn.Trainer.fit` with::

    torchrun --nproc_per_node 2 train.py

:func:`setup` reads the ``torchrun`` environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``/``MASTER_PORT``), initialises the process group (``nccl`` on CUDA, ``gloo`` on
CPU) and pins each process to ``cuda:LOCAL_RANK``. Gradients are averaged across ranks by DDP;
every rank reads its own shard of each epoch's permutation (:class:`~ibkit.nn.data.
EpochBatchSampler`); only rank 0 writes metrics and checkpoints, with barriers around the writes.

References
----------
Li et al. (2020), "PyTorch Distributed: Experiences on Accelerating Data Parallel Training".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

__all__ = [
    "DistInfo", "all_gather", "barrier", "broadcast", "setup", "teardown", "unwrap", "wrap",
]


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits: ``rank`` of ``world_size``, its ``local_rank`` on the node."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    backend: str | None = None
    owns_group: bool = False  # True when setup() created the process group (teardown ends it)

    @property
    def is_main(self) -> bool:
        """Whether this process writes files (rank 0)."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """Whether more than one process takes part."""
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def setup(device_type: str) -> DistInfo:
    """Join the process group described by the ``torchrun`` environment, if there is one.

    Parameters
    ----------
    device_type : ``"cuda"`` selects the NCCL backend, anything else gloo.

    Returns
    -------
    DistInfo
        ``world_size == 1`` (nothing initialised) outside ``torchrun``.
    """
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), _env_int("LOCAL_RANK", dist.get_rank()),
                        dist.get_world_size(), dist.get_backend(), owns_group=False)
    world_size = _env_int("WORLD_SIZE", 1)
    if world_size <= 1:
        return DistInfo()
    backend = "nccl" if device_type == "cuda" else "gloo"
    local_rank = _env_int("LOCAL_RANK", 0)
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), local_rank, dist.get_world_size(), backend, owns_group=True)


def teardown(info: DistInfo) -> None:
    """Destroy the process group if :func:`setup` created it."""
    if info.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op in a single process)."""
    if info.enabled:
        dist.barrier()


def all_gather(info: DistInfo, obj: Any) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]`` on every rank (``[obj]`` in a single process)."""
    if not info.enabled:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast(info: DistInfo, obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not info.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def wrap(model: nn.Module, info: DistInfo, device: torch.device) -> nn.Module:
    """Wrap ``model`` in ``DistributedDataParallel`` when more than one process takes part.

    DDP broadcasts rank 0's parameters and buffers at construction, so every rank starts from the
    same weights whatever its own initialisation was.
    """
    if not info.enabled:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids, output_device=None)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a ``DistributedDataParallel`` wrapper (or ``model`` itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
