"""TOML configs with --set overrides: round trips, unknown keys and wrong types refused."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ibkit.exceptions import DataFormatError, InvalidParameterError
from ibkit.experiment.toml_config import (
    apply_overrides,
    build_config,
    load_toml,
    parse_override,
)


@dataclass(frozen=True)
class Model:
    kind: str = "vae"
    latent_dim: int = 10
    hidden: tuple[int, ...] = (1200, 1200)
    beta: float | dict = 1.0


@dataclass(frozen=True)
class Train:
    lr: float = 1e-3
    steps: int = 100
    grad_clip: float | None = None
    progress: bool = True


@dataclass(frozen=True)
class Run:
    model: Model = field(default_factory=Model)
    train: Train = field(default_factory=Train)


def test_file_and_overrides_build_nested_config(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[model]\nkind = "beta-vae"\nhidden = [64, 32]\n[train]\nlr = 0.01\n')
    data = apply_overrides(load_toml(path), ["train.steps=7", "model.beta=4", "train.grad_clip=1"])
    cfg = build_config(Run, data)
    assert cfg == Run(Model("beta-vae", 10, (64, 32), 4.0), Train(0.01, 7, 1.0, True))


@pytest.mark.parametrize(
    ("text", "parts", "value"),
    [
        ("train.lr=3e-4", ["train", "lr"], 3e-4),
        ("a=true", ["a"], True),
        ("a = [1, 2]", ["a"], [1, 2]),
        ("model.kind=beta-vae", ["model", "kind"], "beta-vae"),
        ('s="x y"', ["s"], "x y"),
    ],
)
def test_parse_override_reads_toml_values(text, parts, value):
    assert parse_override(text) == (parts, value)


def test_overrides_do_not_mutate_input():
    data = {"train": {"lr": 1.0}}
    apply_overrides(data, ["train.lr=2"])
    assert data == {"train": {"lr": 1.0}}


@pytest.mark.parametrize("bad", ["lr", "=3", "train..lr=1", ".x=1"])
def test_malformed_overrides_refused(bad):
    with pytest.raises(InvalidParameterError, match="key=value"):
        parse_override(bad)


def test_override_through_a_leaf_refused():
    with pytest.raises(InvalidParameterError, match="not a table"):
        apply_overrides({"train": 3}, ["train.lr=1"])


def test_unknown_key_names_the_dotted_path():
    with pytest.raises(InvalidParameterError, match=r"'train\.lrr'.*known keys"):
        build_config(Run, {"train": {"lrr": 1.0}})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"train": {"steps": 1.5}}, "train.steps"),
        ({"train": {"steps": True}}, "train.steps"),
        ({"train": {"lr": "fast"}}, "train.lr"),
        ({"train": {"progress": 1}}, "train.progress"),
        ({"model": {"hidden": "64"}}, "model.hidden"),
        ({"model": {"hidden": [64, "a"]}}, "model.hidden"),
        ({"model": 3}, "model"),
    ],
)
def test_wrong_types_refused_with_key(data, key):
    with pytest.raises(InvalidParameterError, match=key.replace(".", r"\.")):
        build_config(Run, data)


def test_missing_and_corrupt_files_refused(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist"):
        load_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nkind=")
    with pytest.raises(DataFormatError, match="not valid TOML"):
        load_toml(bad)
