"""Load scenario files: TOML validated against `parameters.Parameters`.

A config file holds optional top-level `base`, `name` and `description` keys and
one `[group]` table per parameter group (see `parameters.GROUPS`). A scenario names
its base and overrides only what it changes; bases chain and the most specific
value wins. Every mistake becomes a one-line `ConfigError` naming the file, the
key and a fix, so the CLI can print it without a traceback and nothing bad is
silently ignored.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from clustersim.parameters import GROUPS, ParameterError, Parameters, check_value, specs

META_KEYS = ("base", "name", "description")


class ConfigError(Exception):
    """A config file that cannot be loaded; `str()` is one line: file, key, problem, fix."""

    def __init__(self, path: Path | str, message: str, group: str | None = None) -> None:
        self.path = Path(path)
        self.group = group
        self.message = " ".join(message.split("\n"))
        where = f" [{group}]" if group else ""
        super().__init__(f"{path}:{where} {self.message}")


@dataclass(frozen=True)
class LoadedConfig:
    """A resolved config: the parameters plus where they came from."""

    path: Path
    name: str
    description: str
    parameters: Parameters
    chain: tuple[Path, ...]  # this file first, then its base, its base's base, ...
    overrides: dict[str, Any] = field(hash=False)  # merged key -> value over the chain

    @cached_property
    def sha256(self) -> str:
        """Hash of the resolved parameters, so equal parameter sets hash equal whatever file."""
        text = json.dumps(self.parameters.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def load_config(path: str | Path) -> LoadedConfig:
    """Read `path` and its chain of bases into validated `Parameters`."""
    path = Path(path)
    chain: list[Path] = []
    layers: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    current, referrer = path, None
    while current is not None:
        _check_loop(current, chain)
        doc = read_toml(current, referrer)
        base = _check_meta(current, doc)
        if not chain:
            meta = doc
        chain.append(current)
        layers.append(_flatten(current, doc))
        referrer, current = current, (current.parent / base if base is not None else None)

    merged: dict[str, Any] = {}
    for layer in reversed(layers):  # most general first, so specific values win
        merged.update(layer)
    try:
        parameters = Parameters(**merged)
    except ParameterError as exc:
        via = f" (after merging {', '.join(str(p) for p in chain[1:])})" if len(chain) > 1 else ""
        raise ConfigError(path, f"{exc}{via}") from None
    return LoadedConfig(
        path=path,
        name=meta.get("name", path.stem),
        description=meta.get("description", ""),
        parameters=parameters,
        chain=tuple(chain),
        overrides=merged,
    )


def _check_loop(current: Path, chain: list[Path]) -> None:
    """Stop a base chain that comes back to a file already read."""
    seen = [_same_file_key(p) for p in chain]
    key = _same_file_key(current)
    if key in seen:
        loop = [*chain[seen.index(key) :], current]
        names = " -> ".join(str(p) for p in loop)
        start = f" (reached from {chain[0]})" if loop[0] != chain[0] else ""
        msg = f"base chain loops: {names}{start}; remove one of these base keys"
        raise ConfigError(chain[0], msg)


def _same_file_key(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def read_toml(path: Path, referrer: Path | None = None) -> dict[str, Any]:
    """The one TOML reader (configs and experiments): every I/O and syntax failure a ConfigError.

    `referrer` is the file whose `base` key named `path`, for a missing base's message.
    """
    try:
        data = read_limited(path)
    except FileNotFoundError:
        if referrer is not None:
            raise ConfigError(
                referrer, f"base file {path} does not exist; check the base path in {referrer}"
            ) from None
        raise ConfigError(path, "no such file; check the path") from None
    except IsADirectoryError:
        raise ConfigError(path, "is a directory, not a file; give a .toml file") from None
    except PermissionError:
        msg = "cannot be read (permission denied); check its permissions"
        raise ConfigError(path, msg) from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read ({exc.strerror or exc}); check the file") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, f"is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"is not valid TOML: {exc}; fix the syntax there") from None


MAX_FILE_BYTES = 1 << 20  # a config or experiment file is a page of text, not megabytes


def read_limited(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_FILE_BYTES; refuse devices, FIFOs and sockets.

    /dev/zero or a FIFO would otherwise be read without end (or block) and ignore Ctrl-C.
    """
    if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
        raise ConfigError(
            path, "is not a regular file (a device, FIFO or socket); give a .toml file"
        )
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            path, f"is larger than {MAX_FILE_BYTES // 1024} KiB; a config file is a page of text"
        )
    return data


def _check_meta(path: Path, doc: dict[str, Any]) -> str | None:
    """Check the top-level non-group keys; return the base path, if any."""
    for key in ("name", "description"):
        if key in doc and not isinstance(doc[key], str):
            got = _describe(doc[key])
            raise ConfigError(path, f"{key} must be a string, got {got}; put it in quotes")
    base = doc.get("base")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        raise ConfigError(
            path, f"base must be a string path to another config file, got {_describe(base)}"
        )
    if "\x00" in (base or ""):
        raise ConfigError(path, "base holds a NUL character; remove it")
    if "name" in doc:
        check_name(path, doc["name"])
    return base


def check_name(path: Path, name: str, key: str = "name") -> str:
    """Refuse a name that would move output out of results/: it becomes one folder name there.

    A separator, `.` or `..`, an absolute path, a NUL or an empty name would write
    results/<name> somewhere else, or into results/ itself.
    """
    problems = (
        (not name.strip(), "is empty"),
        ("\x00" in name, "holds a NUL character"),
        ("/" in name or "\\" in name, "holds a path separator (/ or \\)"),
        (name in (".", ".."), "names a folder, not one of its own"),
        (len(name) > 1 and name[1] == ":", "starts like a drive (C:)"),
    )
    bad = next((reason for found, reason in problems if found), None)
    if bad:
        raise ConfigError(
            path,
            f"{key} {name!r} {bad}; a name becomes the folder results/<name>, so give a plain "
            "name such as my_scenario",
        )
    return name


def _flatten(path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """Check each `[group]` table and return its values as one flat, validated dict."""
    all_specs = specs()
    flat: dict[str, Any] = {}
    for top, table in doc.items():
        if top in META_KEYS:
            continue
        if top not in GROUPS and top in all_specs:
            group = all_specs[top][1].group
            raise ConfigError(path, f"{top} must be inside a group table; move it under [{group}]")
        if top not in GROUPS:
            if isinstance(table, dict):
                raise ConfigError(path, f"unknown group [{top}]; {_hint(top, GROUPS, '[{}]')}")
            hint = _hint(top, META_KEYS + GROUPS)
            raise ConfigError(path, f"unknown top-level key {top}; {hint}")
        if not isinstance(table, dict):
            raise ConfigError(
                path,
                f"{top} must be a table of parameters, got {_describe(table)}; write [{top}] "
                "on its own line and the parameter lines below it",
            )
        for key, value in table.items():
            flat[key] = _check_entry(path, top, key, value)
    return flat


def _check_entry(path: Path, group: str, key: str, value: Any) -> Any:
    """Validate one `key = value` of `[group]`; return it coerced to the parameter's type."""
    all_specs = specs()
    if key not in all_specs:
        in_group = [n for n, (_, s) in all_specs.items() if s.group == group]
        near = closest(key, in_group) or closest(key, all_specs)
        if near and all_specs[near][1].group != group:
            hint = f"did you mean {near} (in [{all_specs[near][1].group}])?"
        elif near:
            hint = f"did you mean {near}?"
        else:
            hint = f"[{group}] has: {', '.join(in_group)}"
        raise ConfigError(path, f"unknown parameter {key}; {hint}", group)
    f, spec = all_specs[key]
    if spec.group != group:
        raise ConfigError(
            path, f"{key} belongs in [{spec.group}], not [{group}]; move it there", group
        )
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    wrong = not isinstance(value, bool) if kind == "bool" else not _is_plain_number(value)
    if wrong:
        if isinstance(value, str) and _is_number(value):
            fix = "remove the quotes"
        else:
            fix = "write true or false" if kind == "bool" else "write a plain number"
        want = f"{_KINDS[kind]} ({spec.unit})"
        raise ConfigError(path, f"{key} must be {want}, got {_describe(value)}; {fix}", group)
    if kind == "int" and isinstance(value, float):
        fix = f"write {int(value)}" if value.is_integer() else "round it"
        raise ConfigError(
            path, f"{key} must be a whole number ({spec.unit}), got {value!r}; {fix}", group
        )
    try:
        return check_value(key, value)
    except ParameterError as exc:
        raise ConfigError(path, f"{exc}; use a value in that range", group) from None


_KINDS = {"bool": "true or false", "int": "a whole number", "float": "a number"}


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe(value: Any) -> str:
    """Name a TOML value's type for a message, without dumping a whole table."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_plain_number(value):
        return repr(value)
    return f"the {type(value).__name__} {value}"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The one "did you mean" lookup: the choice closest to a mistyped key, if any is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str], fmt: str = "{}") -> str | None:
    """'did you mean X?' for the closest choice, or None."""
    near = closest(word, choices)
    return f"did you mean {fmt.format(near)}?" if near else None


def _hint(word: str, choices: tuple[str, ...] | list[str], fmt: str = "{}") -> str:
    """The closest choice, or every choice when none is close."""
    return did_you_mean(word, choices, fmt) or "known: " + ", ".join(fmt.format(c) for c in choices)
