"""Run folders: default names, refusal of files in the way, all-or-nothing staging."""

from __future__ import annotations

import re

import pytest

from ibkit.exceptions import InvalidParameterError
from ibkit.experiment.runs import create_run_dir, default_run_dir, staged_dir


def test_default_run_dir_is_timestamped_and_unique(tmp_path):
    first = default_run_dir("rd", root=tmp_path)
    assert re.fullmatch(r"rd-\d{8}-\d{6}", first.name)
    first.mkdir()
    second = default_run_dir("rd", root=tmp_path)
    assert second != first and second.name.startswith(first.name)


def test_create_run_dir(tmp_path, monkeypatch):
    assert create_run_dir(tmp_path / "a" / "b", "rd").is_dir()
    monkeypatch.chdir(tmp_path)
    made = create_run_dir(None, "rd")
    assert made.parent.name == "runs" and made.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidParameterError, match="not a directory"):
        create_run_dir(tmp_path / "file", "rd")
    with pytest.raises(InvalidParameterError, match="kind"):
        create_run_dir(None, "../evil")


def test_staged_dir_moves_everything_on_success(tmp_path):
    out = tmp_path / "run"
    with staged_dir(out) as folder:
        (folder / "a.txt").write_text("a")
        (folder / "sub").mkdir()
        (folder / "sub" / "b.txt").write_text("b")
        assert not out.exists()
    assert (out / "a.txt").read_text() == "a" and (out / "sub" / "b.txt").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_staged_dir_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "deep" / "run"
    with pytest.raises(RuntimeError), staged_dir(out) as folder:
        (folder / "a.txt").write_text("a")
        raise RuntimeError("fail")
    assert list(tmp_path.iterdir()) == []
