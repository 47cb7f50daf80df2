"""Data for the trainer: NumPy arrays, ``(x, y)`` pairs or indexable objects → torch batches.

Three kinds of input are accepted by :func:`as_dataset`:

* an array ``x`` of shape ``(n, ...)`` (NumPy or torch) — batches are tensors ``x[idx]``;
* a pair ``(x, y)`` of arrays with the same first dimension — batches are tuples;
* an object with arrays in ``.x`` and ``.y`` (:class:`ibkit.datasets.ArrayDataset`);
* any object with ``__len__`` and ``__getitem__`` returning NumPy arrays (or pairs of them), for
  example :class:`ibkit.datasets.ProceduralDSprites` — items (or whole batches, when the object
  accepts an index array) are fetched and checked as they are loaded.

Features become ``float32``; integer labels become ``int64``. Empty data, non-numeric dtypes,
NaN or ±inf are refused with :class:`~ibkit.exceptions.DataFormatError` naming what is wrong.

The data order is a pure function of ``(seed, epoch)`` (:class:`EpochBatchSampler`), so a run
resumed from a checkpoint sees exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from ..exceptions import DataFormatError, ShapeMismatchError

__all__ = [
    "EpochBatchSampler",
    "InMemoryDataset",
    "MappedDataset",
    "as_dataset",
    "batch_size_of",
    "make_loader",
    "to_device",
]

Batch = Any  # torch.Tensor or tuple[torch.Tensor, ...]


def _as_numpy(value: Any, name: str) -> np.ndarray:
    if torch.is_tensor(value):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise DataFormatError(f"{name} cannot be read as an array: {err}") from None
    return arr


def _check_array(arr: np.ndarray, name: str, *, role: str) -> torch.Tensor:
    """Validate one array (dtype, finiteness) and convert it to a torch tensor.

    ``role`` is ``"x"`` (features → float32) or ``"y"`` (integer labels → int64, real
    targets → float32).
    """
    kind = arr.dtype.kind
    if kind not in "biuf":
        raise DataFormatError(
            f"{name} must hold real numbers (bool, int or float); got dtype {arr.dtype}"
        )
    if kind == "f" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        value, where = float(arr[tuple(bad)]), tuple(bad.tolist())
        raise DataFormatError(f"{name} contains a non-finite value {value!r} at index {where}")
    if role == "y" and kind in "biu":
        return torch.from_numpy(arr.astype(np.int64, copy=False))
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))


class InMemoryDataset(Dataset):
    """In-memory tensors ``x`` (n, ...) and optional ``y`` (n, ...); batches by fancy indexing."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None = None) -> None:
        self.x = x  # (n, ...) float32
        self.y = y  # (n, ...) int64 or float32, or None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, index: int) -> Batch:
        return self.x[index] if self.y is None else (self.x[index], self.y[index])

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        idx = torch.as_tensor(indices, dtype=torch.long)  # (batch,)
        return self.x[idx] if self.y is None else (self.x[idx], self.y[idx])


class MappedDataset(Dataset):
    """Wraps an object with ``__len__``/``__getitem__``; checks every item as it is fetched.

    When ``source[array_of_indices]`` returns a stacked batch (as ``ProceduralDSprites`` does),
    batches are fetched in one call; otherwise item by item and stacked.
    """

    def __init__(self, source: Any, name: str = "data") -> None:
        self.source = source
        self.name = name
        self.batched = self._supports_batches()

    def _supports_batches(self) -> bool:
        try:
            probe = self.source[np.arange(1)]
            first = self.source[0]
        except Exception:  # any failure means: fetch item by item
            return False
        return (isinstance(probe, np.ndarray) and isinstance(first, np.ndarray)
                and probe.shape == (1, *first.shape) and np.array_equal(probe[0], first))

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> Batch:
        return self._check(self.source[index], f"{self.name}[{index}]")

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        if self.batched:
            where = f"{self.name}[{indices[0]}..]"
            return self._check(self.source[np.asarray(indices)], where)
        items = [self[i] for i in indices]
        if isinstance(items[0], tuple):
            return tuple(torch.stack(parts) for parts in zip(*items, strict=True))
        return torch.stack(items)  # (batch, ...)

    def _check(self, item: Any, where: str) -> Batch:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise DataFormatError(f"{where} must be an array or an (x, y) pair; got a tuple "
                                      f"of {len(item)} items")
            return (
                _check_array(_as_numpy(item[0], where), f"{where}[0]", role="x"),
                _check_array(_as_numpy(item[1], where), f"{where}[1]", role="y"),
            )
        return _check_array(_as_numpy(item, where), where, role="x")


def _first_dim(arr: np.ndarray, name: str) -> int:
    if arr.ndim == 0:
        raise DataFormatError(f"{name} must have a sample axis (shape (n, ...)); got a scalar")
    if arr.shape[0] == 0:
        raise DataFormatError(f"{name} is empty (shape {arr.shape}); it needs at least one sample")
    return int(arr.shape[0])


def as_dataset(data: Any, *, name: str = "data") -> Dataset:
    """Turn arrays, ``(x, y)`` pairs or an indexable object into a checked torch ``Dataset``.

    Parameters
    ----------
    data : array (n, ...), tuple ``(x, y)`` of arrays (n, ...) and (n, ...), an
        :class:`InMemoryDataset`/:class:`MappedDataset`, or any object with ``__len__`` and
        ``__getitem__`` returning NumPy arrays (or ``(x, y)`` pairs of them).
    name : what to call the data in error messages (``"train_data"``, ``"eval_data"``).

    Returns
    -------
    Dataset
        :class:`InMemoryDataset` for arrays (checked eagerly), :class:`MappedDataset` otherwise
        (first item checked now, every item checked when fetched).

    Raises
    ------
    DataFormatError
        Empty data, non-numeric dtype, NaN/inf, an object that is not indexable.
    ShapeMismatchError
        ``x`` and ``y`` differ in length.
    """
    if isinstance(data, (InMemoryDataset, MappedDataset)):
        return data
    if isinstance(data, tuple):
        if len(data) != 2:
            raise DataFormatError(f"{name} as a tuple must be (x, y); got {len(data)} items")
        x_arr, y_arr = _as_numpy(data[0], f"{name}[0]"), _as_numpy(data[1], f"{name}[1]")
        n_x, n_y = _first_dim(x_arr, f"{name} x"), _first_dim(y_arr, f"{name} y")
        if n_x != n_y:
            raise ShapeMismatchError(f"{name}: x has {n_x} samples but y has {n_y}")
        x = _check_array(x_arr, f"{name} x", role="x")
        return InMemoryDataset(x, _check_array(y_arr, f"{name} y", role="y"))
    if isinstance(data, (np.ndarray, torch.Tensor, list)):
        arr = _as_numpy(data, name)
        _first_dim(arr, name)
        return InMemoryDataset(_check_array(arr, name, role="x"))
    if not hasattr(data, "__getitem__") and isinstance(getattr(data, "x", None), np.ndarray):
        # ibkit.datasets.ArrayDataset and the like: arrays in .x and (optionally) .y
        y = getattr(data, "y", None)
        return as_dataset(data.x if y is None else (data.x, y), name=name)
    if not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise DataFormatError(
            f"{name} must be an array, an (x, y) pair or an object with __len__ and "
            f"__getitem__; got {type(data).__name__}"
        )
    if len(data) == 0:
        raise DataFormatError(f"{name} is empty (len 0); it needs at least one sample")
    dataset = MappedDataset(data, name)
    dataset[0]
    return dataset


class EpochBatchSampler(Sampler[list[int]]):
    r"""Batches of one epoch, in an order that is a pure function of ``(seed, epoch)``.

    The permutation :math:`\pi_e` of ``range(n)`` comes from a ``torch.Generator`` seeded with
    ``seed * 1_000_003 + epoch``. With ``world_size`` processes it is padded (by wrapping around)
    to a multiple of ``world_size`` and rank ``r`` takes :math:`\pi_e[r::W]` — the sharding of
    ``DistributedSampler`` — so every rank has the same number of batches. Batches of
    ``batch_size`` indices are cut from the shard; ``start`` skips the first batches (resume).
    """

    def __init__(self, n: int, batch_size: int, *, seed: int, epoch: int, rank: int = 0,
                 world_size: int = 1, start: int = 0) -> None:
        self.n, self.batch_size, self.seed, self.epoch = n, batch_size, seed, epoch
        self.rank, self.world_size, self.start = rank, world_size, start
        self.generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
        perm = torch.randperm(n, generator=self.generator)  # (n,)
        padded = -(-n // world_size) * world_size
        if padded > n:  # wrap around (several times when n < world_size)
            perm = perm.repeat(-(-padded // n))[:padded]  # (padded,)
        self.indices: list[int] = perm[rank::world_size].tolist()  # (padded / world_size,)

    @staticmethod
    def batches_per_epoch(n: int, batch_size: int, world_size: int = 1) -> int:
        """Number of batches each rank sees per epoch (the last one may be short)."""
        per_rank = -(-n // world_size)
        return -(-per_rank // batch_size)

    def __len__(self) -> int:
        return self.batches_per_epoch(self.n, self.batch_size, self.world_size) - self.start

    def __iter__(self) -> Iterator[list[int]]:
        b = self.batch_size
        for k in range(self.start, self.batches_per_epoch(self.n, b, self.world_size)):
            yield self.indices[k * b : (k + 1) * b]


def _keep_batch(batch: Batch) -> Batch:
    return batch  # __getitems__ of both datasets already returns stacked tensors


def make_loader(dataset: Dataset, batch_sampler: Sampler[list[int]], *, num_workers: int = 0,
                seed: int = 0, pin_memory: bool = False) -> DataLoader:
    """A ``DataLoader`` over ``batch_sampler`` whose worker seeds derive from ``seed`` only.

    The loader gets its own ``torch.Generator`` so creating it never draws from the global
    torch RNG (which would shift the model's noise stream on resume).
    """
    collate = _keep_batch if isinstance(dataset, (InMemoryDataset, MappedDataset)) else None
    return DataLoader(
        dataset,
        batch_sampler=batch_sampler,
        num_workers=num_workers,
        collate_fn=collate,
        pin_memory=pin_memory,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=False,
    )


def to_device(batch: Batch, device: torch.device) -> Batch:
    """Move a tensor or a tuple of tensors to ``device`` (non-blocking from pinned memory)."""
    if isinstance(batch, (tuple, list)):
        return tuple(t.to(device, non_blocking=True) for t in batch)
    return batch.to(device, non_blocking=True)


def batch_size_of(batch: Batch) -> int:
    """Number of samples in a batch (first dimension of ``x``)."""
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    return int(x.shape[0])
