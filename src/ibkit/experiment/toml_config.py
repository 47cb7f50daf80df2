"""TOML config files with ``--set key=value`` overrides, checked against dataclass schemas.

A training config is a TOML file of tables (``[model]``, ``[data]``, ``[train]``); the command
line may override any leaf with ``--set train.lr=3e-4`` (the value is read as a TOML value, so
``true``, ``[1, 2]`` and ``"text"`` work; a bare word that is not valid TOML is taken as a
string). :func:`build_config` turns the resulting mapping into nested frozen dataclasses and
refuses unknown keys and values of the wrong type, naming the full dotted key — a typo in a
config file is an error, never a silently ignored option.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Train:
...     lr: float = 1e-3
...     steps: int = 100
>>> data = apply_overrides({"lr": 0.01}, ["steps=5"])
>>> build_config(Train, data)
Train(lr=0.01, steps=5)
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, Union

from ..exceptions import DataFormatError, InvalidParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["apply_overrides", "build_config", "load_toml", "parse_override"]

T = TypeVar("T")


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict (missing or malformed files raise :class:`DataFormatError`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFormatError(f"config file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataFormatError(f"cannot read config file {str(path)!r}: {err}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise DataFormatError(f"config file {str(path)!r} is not valid TOML: {err}") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"train.lr=3e-4"`` → ``(["train", "lr"], 0.0003)``; the value is parsed as TOML."""
    key, sep, raw = text.partition("=")
    parts = [p.strip() for p in key.split(".")]
    if not sep or not all(parts):
        raise InvalidParameterError(f"--set expects key=value (e.g. train.lr=3e-4); got {text!r}")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as cyclical or cuda
    return parts, value


def apply_overrides(data: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a deep copy of ``data`` with every ``key.path=value`` override applied."""
    out = copy.deepcopy(dict(data))
    for text in overrides:
        parts, value = parse_override(text)
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                dotted = ".".join(parts[: i + 1])
                raise InvalidParameterError(f"--set {text!r}: {dotted!r} is not a table")
            node = child
        node[parts[-1]] = value
    return out


def build_config(cls: type[T], data: Mapping[str, Any], *, prefix: str = "") -> T:
    """Build dataclass ``cls`` from ``data``, recursing into dataclass-typed fields.

    Raises
    ------
    InvalidParameterError
        For unknown keys (listing the known ones) and values whose type does not match the
        field's annotation (``int``, ``float`` — ints accepted —, ``bool``, ``str``,
        ``tuple``/``list``, ``dict``, ``X | None``); the message names the dotted key.
    """
    if not isinstance(data, Mapping):
        where = prefix.rstrip(".") or cls.__name__
        raise InvalidParameterError(f"{where!r} must be a table; got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(repr(prefix + k) for k in unknown)
        raise InvalidParameterError(
            f"unknown config key(s) {names}; known keys: "
            + ", ".join(prefix + k for k in sorted(fields))
        )
    hints = typing.get_type_hints(cls)
    values = {k: _convert(v, hints[k], prefix + k) for k, v in data.items()}
    return cls(**values)


def _convert(value: Any, hint: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return build_config(hint, value, prefix=key + ".")
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, key)
            except InvalidParameterError as err:
                errors.append(err)
        raise errors[0] if len(errors) == 1 else _type_error(key, value, hint)
    if hint is Any:
        return value
    if origin in (tuple, list) or hint in (tuple, list):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise _type_error(key, value, hint)
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        items = [_convert(v, args[0], key) for v in value] if args else list(value)
        return tuple(items) if (origin or hint) is tuple else items
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise _type_error(key, value, hint)
        return dict(value)
    return _convert_scalar(value, hint, key)


def _convert_scalar(value: Any, hint: Any, key: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif isinstance(hint, type) and isinstance(value, hint):
        return value
    raise _type_error(key, value, hint)


def _type_error(key: str, value: Any, hint: Any) -> InvalidParameterError:
    name = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
    return InvalidParameterError(
        f"config key {key!r} must be {name}; got {value!r} ({type(value).__name__})"
    )
