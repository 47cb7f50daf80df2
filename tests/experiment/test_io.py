"""Atomic writes and load_array: every readable format, every unreadable file a DataFormatError."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from ibkit.exceptions import DataFormatError, IBKitError
from ibkit.experiment.io import atomic_open, load_array, write_bytes, write_csv, write_json


def test_atomic_write_leaves_no_temp_file_and_keeps_old_content_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_open(target) as fh:
        fh.write("half a fi")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_writers_create_parents_and_write_complete_files(tmp_path):
    write_bytes(tmp_path / "a" / "b.bin", b"\x00\x01")
    write_json(tmp_path / "c.json", {"x": np.float64(1.5), "y": np.arange(2)})
    write_csv(tmp_path / "d.csv", {"beta": [0.5, 1.0], "ok": [True, False]})
    assert (tmp_path / "a" / "b.bin").read_bytes() == b"\x00\x01"
    assert '"y": [\n    0,\n    1\n  ]' in (tmp_path / "c.json").read_text()
    assert (tmp_path / "d.csv").read_text().splitlines()[0] == "beta,ok"
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.2,0.8\n", [0.2, 0.8]),  # one row: a pmf
        ("0.2\n0.8\n", [0.2, 0.8]),  # one column: a pmf
        ("0.1 0.2\n0.3 0.4\n", [[0.1, 0.2], [0.3, 0.4]]),  # whitespace
        ("y0,y1\n0.1,0.2\n0.3,0.4\n", [[0.1, 0.2], [0.3, 0.4]]),  # header row
        ("# a comment\n0.1, 0.2 # trailing\n\n0.3, 0.4\n", [[0.1, 0.2], [0.3, 0.4]]),
    ],
)
def test_load_csv_variants(tmp_path, text, expected):
    path = tmp_path / "p.csv"
    path.write_text(text)
    np.testing.assert_array_equal(load_array(path, name="p"), expected)


def test_load_npy_npz_and_sparse_npz(tmp_path):
    arr = np.arange(6.0).reshape(2, 3)
    np.save(tmp_path / "a.npy", arr)
    np.savez(tmp_path / "one.npz", arr)
    np.savez(tmp_path / "two.npz", first=arr, second=arr.T)
    scipy.sparse.save_npz(tmp_path / "s.npz", scipy.sparse.csr_matrix(arr))
    np.testing.assert_array_equal(load_array(tmp_path / "a.npy"), arr)
    np.testing.assert_array_equal(load_array(tmp_path / "one.npz"), arr)
    np.testing.assert_array_equal(load_array(tmp_path / "two.npz", key="second"), arr.T)
    np.testing.assert_array_equal(load_array(tmp_path / "s.npz"), arr)
    np.save(tmp_path / "ints.npy", np.array([1, 3]))
    assert load_array(tmp_path / "ints.npy").dtype == np.float64


def _corrupt_npy(path):
    path.write_bytes(b"\x93NUMPY garbage")


def _bad_cases(tmp_path):
    (tmp_path / "words.csv").write_text("0.5,abc\n0.1,0.2\n")
    (tmp_path / "ragged.csv").write_text("0.5,0.5\n0.1\n")
    (tmp_path / "empty.csv").write_text("# nothing\n")
    (tmp_path / "header_only.csv").write_text("x,y\n")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "p.json").write_text("[0.5, 0.5]")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    np.savez(tmp_path / "two.npz", a=np.ones(2), b=np.ones(2))
    np.save(tmp_path / "strings.npy", np.array(["a", "b"]))
    np.save(tmp_path / "objects.npy", np.array([1, None], dtype=object), allow_pickle=True)
    _corrupt_npy(tmp_path / "corrupt.npy")
    return {
        "words.csv": "'abc' is not a number",
        "ragged.csv": "expected 2 values, got 1",
        "empty.csv": "holds no numbers",
        "header_only.csv": "header but no numbers",
        "binary.csv": "not a UTF-8",
        "p.json": "unsupported type",
        "bad.npz": "not a valid .npz",
        "two.npz": "holds 2 arrays",
        "strings.npy": "not numbers",
        "objects.npy": "not a valid .npy",
        "corrupt.npy": "not a valid .npy",
        "missing.npy": "does not exist",
    }


def test_every_unreadable_file_is_a_data_format_error_naming_the_path(tmp_path):
    for name, message in _bad_cases(tmp_path).items():
        with pytest.raises(DataFormatError, match=message) as info:
            load_array(tmp_path / name, name="joint")
        assert name in str(info.value) and "joint file" in str(info.value)
        assert isinstance(info.value, IBKitError)


def test_directory_is_refused(tmp_path):
    with pytest.raises(DataFormatError, match="is a directory"):
        load_array(tmp_path)


def test_written_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = write_bytes(tmp_path / "x.bin", b"x")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
