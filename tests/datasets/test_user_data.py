"""User data from .npy / .npz files and arrays: what loads, and every malformed file refused."""

from __future__ import annotations

import numpy as np
import pytest

from ibkit.datasets import ArrayDataset, array_dataset, load_dataset
from ibkit.exceptions import DataFormatError


def test_npy_images_load_as_float32(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    np.save(tmp_path / "imgs.npy", images)
    data = load_dataset(tmp_path / "imgs.npy")
    assert isinstance(data, ArrayDataset) and data.y is None and data.n_classes is None
    assert data.x.dtype == np.float32 and data.x.shape == (5, 4, 3)
    np.testing.assert_array_equal(data.x, images.astype(np.float32))
    assert len(data) == 5 and data.sample_shape == (4, 3) and "imgs.npy" in data.name


@pytest.mark.parametrize(("xkey", "ykey"), [("x", "y"), ("data", "labels"), ("x", "labels")])
def test_npz_with_labels(tmp_path, xkey, ykey):
    x = np.linspace(0, 1, 12).reshape(6, 2)
    np.savez(tmp_path / "d.npz", **{xkey: x, ykey: np.array([0, 2, 1, 2, 0, 1])})
    data = load_dataset(tmp_path / "d.npz")
    np.testing.assert_allclose(data.x, x.astype(np.float32))
    assert data.y.dtype == np.int64 and data.y.tolist() == [0, 2, 1, 2, 0, 1]
    assert data.n_classes == 3


def test_npz_single_array_and_1d_and_text(tmp_path):
    np.savez(tmp_path / "one.npz", features=np.ones((3, 2)))
    assert load_dataset(tmp_path / "one.npz").x.shape == (3, 2)
    np.save(tmp_path / "v.npy", np.arange(4.0))
    assert load_dataset(tmp_path / "v.npy").x.shape == (4, 1)  # n samples of one feature
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    np.testing.assert_array_equal(load_dataset(tmp_path / "t.csv").x, [[1, 2], [3, 4], [5, 6]])


def test_array_dataset_from_memory():
    data = array_dataset([[1, 2], [3, 4]], [1.0, 0.0], name="mine")
    assert data.x.dtype == np.float32 and data.y.dtype == np.int64 and data.name == "mine"
    with pytest.raises(DataFormatError, match=r"mine: x must have a sample axis"):
        array_dataset(np.float64(3.0), name="mine")
    with pytest.raises(DataFormatError, match=r"x must fit in float32 .*; got .* 1e\+39"):
        array_dataset([1e39, 0.0])


def _npy(tmp_path, arr, **kw):
    path = tmp_path / "bad.npy"
    np.save(path, arr, **kw)
    return path


def _npz(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda p: _npy(p, np.array([[1.0, np.nan]])),
            r"x must be finite; got nan at index \(0, 1\)",
        ),
        (lambda p: _npy(p, np.array([np.inf, 1.0])), "x must be finite; got inf"),
        (lambda p: _npy(p, np.zeros((0, 3))), "empty"),
        (lambda p: _npy(p, np.array(["a", "b"])), "<U1 data, not numbers"),
        (lambda p: _npy(p, np.array([{}, 1], dtype=object), allow_pickle=True), "not a valid .npy"),
        (lambda p: _npy(p, np.array([1 + 2j])), "complex"),
        (
            lambda p: _npz(p, x=np.ones((3, 2)), y=np.array([0, 1])),
            r"labels must have shape \(3,\)",
        ),
        (
            lambda p: _npz(p, x=np.ones((3, 2)), y=np.array([0, 1.5, 2])),
            "non-negative integers; got 1.5",
        ),
        (
            lambda p: _npz(p, x=np.ones((2, 2)), y=np.array([0, -1])),
            "non-negative integers; got -1",
        ),
        (lambda p: _npz(p, x=np.ones((2, 2)), y=np.array([0, np.nan])), "labels must be finite"),
        (lambda p: _npz(p, x=np.ones((2, 2)), y=np.ones((2, 2))), r"got shape \(2, 2\)"),
        (lambda p: _npz(p, x=np.ones(2), data=np.ones(2)), "ambiguous.*'x', 'data'"),
        (lambda p: _npz(p, a=np.ones(2), b=np.ones(2)), r"no samples array.*\['a', 'b'\]"),
        (lambda p: _npz(p, y=np.ones(2)), "no samples array"),
        (lambda p: (p / "bad.npz").write_bytes(b"not a zip") and p / "bad.npz", "not a valid .npz"),
        (
            lambda p: (p / "bad.npy").write_bytes(b"\x93NUMPY junk") and p / "bad.npy",
            "not a valid .npy",
        ),
        (lambda p: p / "missing.npy", "does not exist"),
        (lambda p: (p / "bad.pkl").write_bytes(b"x") and p / "bad.pkl", "unsupported type '.pkl'"),
    ],
)
def test_bad_files_are_refused_naming_the_file(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(DataFormatError, match=match) as info:
        load_dataset(path)
    assert path.name in str(info.value)
