"""Data adapters: arrays, (x, y) pairs and indexable objects become checked torch batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ibkit.exceptions import DataFormatError, IBKitError, ShapeMismatchError
from ibkit.nn.data import (
    EpochBatchSampler,
    InMemoryDataset,
    MappedDataset,
    as_dataset,
    make_loader,
)


def _batches(dataset, batch_size=4):
    sampler = EpochBatchSampler(len(dataset), batch_size, seed=0, epoch=0)
    return list(make_loader(dataset, sampler))


def test_array_becomes_float32_batches():
    x = np.arange(30, dtype=np.float64).reshape(10, 3)
    ds = as_dataset(x)
    assert isinstance(ds, InMemoryDataset) and len(ds) == 10
    batches = _batches(ds)
    assert [b.shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(b.dtype == torch.float32 for b in batches)
    # every sample exactly once per epoch
    seen = torch.cat(batches)[:, 0].sort().values
    assert torch.equal(seen, torch.arange(0, 30, 3, dtype=torch.float32))


def test_pairs_keep_integer_labels_aligned():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    for xb, yb in _batches(as_dataset((x, y))):
        assert yb.dtype == torch.int64
        assert torch.equal(xb[:, 0], 2.0 * yb.float())


class _Items:
    """An indexable object returning NumPy arrays one at a time (no batch indexing)."""

    def __init__(self, n, bad_at=None, pairs=False):
        self.n, self.bad_at, self.pairs = n, bad_at, pairs

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not isinstance(i, int):
            raise TypeError("one item at a time")
        img = np.full((2, 2), float(i), dtype=np.float32)
        if i == self.bad_at:
            img[1, 0] = np.nan
        return (img, np.int64(i % 3)) if self.pairs else img


def test_indexable_object_items_are_stacked():
    ds = as_dataset(_Items(7))
    assert isinstance(ds, MappedDataset) and not ds.batched
    batches = _batches(ds, 3)
    assert [b.shape for b in batches] == [(3, 2, 2), (3, 2, 2), (1, 2, 2)]
    xb, yb = _batches(as_dataset(_Items(5, pairs=True)), 5)[0]
    assert xb.shape == (5, 2, 2) and torch.equal(yb, xb[:, 0, 0].long() % 3)


def test_procedural_dsprites_is_fetched_in_batches():
    from ibkit.datasets import ProceduralDSprites

    ds = as_dataset(ProceduralDSprites())
    assert isinstance(ds, MappedDataset) and ds.batched
    batch = ds.__getitems__([0, 5000, 737279])
    assert batch.shape == (3, 64, 64) and batch.dtype == torch.float32
    assert torch.equal(batch[1], ds[5000])


def test_ibkit_array_dataset_is_accepted():
    from ibkit.datasets import array_dataset

    x = np.repeat(np.arange(5.0)[:, None], 3, axis=1)  # row i is (i, i, i)
    xb, yb = _batches(as_dataset(array_dataset(x, np.arange(5))), 5)[0]
    assert xb.shape == (5, 3) and yb.dtype == torch.int64
    assert torch.equal(xb[:, 0].long(), yb) and sorted(yb.tolist()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.zeros((0, 3)), DataFormatError, "empty"),
        (np.array(1.0), DataFormatError, "sample axis"),
        (np.array([[1.0, np.nan]]), DataFormatError, r"non-finite value nan at index \(0, 1\)"),
        (np.array([[1.0, np.inf]]), DataFormatError, "non-finite value inf"),
        (np.array([["a", "b"]]), DataFormatError, "dtype <U1"),
        (np.array([[1 + 2j]]), DataFormatError, "complex128"),
        (np.array([{"a": 1}], dtype=object), DataFormatError, "dtype object"),
        ((np.zeros((3, 2)), np.zeros(4)), ShapeMismatchError, "x has 3 samples but y has 4"),
        ((np.zeros((3, 2)),), DataFormatError, "must be"),
        (_Items(0), DataFormatError, "empty"),
        (_Items(3, bad_at=0), DataFormatError, r"data\[0\] contains a non-finite"),
        (42, DataFormatError, "got int"),
    ],
)
def test_bad_data_is_refused_with_a_clear_message(data, error, message):
    with pytest.raises(error, match=message):
        as_dataset(data)


def test_bad_item_found_while_loading_is_refused():
    ds = as_dataset(_Items(6, bad_at=4), name="train_data")
    with pytest.raises(DataFormatError, match=r"train_data\[4\] contains a non-finite"):
        _batches(ds, 6)


def test_errors_are_ibkit_errors():
    assert issubclass(DataFormatError, IBKitError)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch=st.integers(1, 16), world=st.integers(1, 4),
       seed=st.integers(0, 10**6), epoch=st.integers(0, 50))
def test_sharded_epoch_covers_every_sample_and_is_reproducible(n, batch, world, seed, epoch):
    # The ranks' shards, together, hold every index at least once (a few twice: padding),
    # all ranks have the same number of batches, and the order depends on (seed, epoch) only.
    shards = [list(EpochBatchSampler(n, batch, seed=seed, epoch=epoch, rank=r, world_size=world))
              for r in range(world)]
    counts = np.bincount([i for s in shards for b in s for i in b], minlength=n)
    padded = -(-n // world) * world
    assert counts.min() >= 1 and counts.max() <= -(-padded // n) and counts.sum() == padded
    assert len({len(s) for s in shards}) == 1
    assert len(shards[0]) == EpochBatchSampler.batches_per_epoch(n, batch, world)
    again = list(EpochBatchSampler(n, batch, seed=seed, epoch=epoch, rank=0, world_size=world))
    assert again == shards[0]
    start = len(shards[0]) // 2
    tail = list(EpochBatchSampler(n, batch, seed=seed, epoch=epoch, world_size=world,
                                  start=start))
    assert tail == shards[0][start:]


def test_epochs_are_shuffled_differently():
    a = next(iter(EpochBatchSampler(50, 50, seed=1, epoch=0)))
    b = next(iter(EpochBatchSampler(50, 50, seed=1, epoch=1)))
    assert sorted(a) == sorted(b) == list(range(50)) and a != b
