"""Reading, checking and writing small TOML configuration files: world specs, build recipes, hand-tuned mixtures.

One kit for every config the course reads, so that every config error reads the same way: it names
the document (``"recipe build.toml"``, ``"world spec tiny.toml"``), the dotted path of the field, the
violated condition and the offending value, e.g.
``world spec tiny.toml: domains.web.docs must be > 0 (got -3)``.

:func:`dumps_toml` is the other direction: it writes a plain document (tables of numbers, strings,
booleans and lists) as TOML that :func:`read_toml` reads back to the same values, exactly.

Type errors raise :class:`TypeError`; bad values, unknown or missing keys and limits raise
:class:`ValueError`. Files that cannot be read raise an :class:`OSError` subclass
(:class:`FileNotFoundError`, :class:`IsADirectoryError`, :class:`PermissionError`) or, for text
that is not TOML, :class:`ConfigError`; every message names the file.

Used in: 2.2, 3.4, A.1 (through :mod:`mixlab.world`, :mod:`mixlab.recipe` and :mod:`mixlab.mixers`).
"""

from __future__ import annotations

import math
import numbers
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "Fields", "read_toml", "parse_toml", "dumps_toml"]


class ConfigError(ValueError):
    """A configuration file that cannot be parsed, or a field that breaks its rule."""


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Read a TOML file, with errors that name the file and what it was meant to be.

    Parameters
    ----------
    path
        The file to read.
    what
        What the file is, for messages (``"recipe"``, ``"world spec"``, ``"hand-tuned config"``).

    Returns
    -------
    dict
        The parsed TOML document.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        The path does not exist, is a folder, or cannot be read; the message names it.
    ConfigError
        The file is not valid UTF-8 TOML; the message names the file and the parser's complaint.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} file not found: {p}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{what} must be a file, not a folder: {p}") from None
    except PermissionError:
        raise PermissionError(f"cannot read {what} file {p}: permission denied") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{what} file {p} is not valid TOML: {exc}") from None


@dataclass(frozen=True)
class Fields:
    """Field checks for one configuration document.

    ``Fields("recipe build.toml")`` prefixes every message with the document's name; each check
    takes the value and its dotted ``path`` inside the document and returns the value converted
    to a plain Python type.

    Examples
    --------
    >>> f = Fields("recipe")
    >>> f.integer(3, "shards.count", minimum=1)
    3
    >>> f.positive(0, "budget.tokens")
    Traceback (most recent call last):
    ...
    mixlab.config.ConfigError: recipe budget.tokens must be > 0 (got 0)
    """

    document: str

    def _where(self, path: str) -> str:
        return f"{self.document} {path}" if path else f"{self.document} (top level)"

    def fail(self, path: str, condition: str, value: Any) -> ValueError:
        """The error for a value at ``path`` that breaks ``condition`` (returned, to be raised)."""
        return ConfigError(f"{self._where(path)} must {condition} (got {value!r})")

    def _type_error(self, path: str, kind: str, value: Any) -> TypeError:
        return TypeError(f"{self._where(path)} must be {kind} (got {value!r} of type {type(value).__name__})")

    def table(self, value: Any, path: str) -> dict[str, Any]:
        """A TOML table (mapping); returned as a plain dict."""
        if not isinstance(value, Mapping):
            raise self._type_error(path, "a table", value)
        return dict(value)

    def keys(self, table: Mapping[str, Any], path: str, required: Iterable[str] = (),
             optional: Iterable[str] = ()) -> None:
        """Refuse unknown keys and missing required keys in ``table``."""
        req, opt = list(required), list(optional)
        unknown = sorted(str(k) for k in set(table) - set(req) - set(opt))
        if unknown:
            raise ConfigError(f"unknown key(s) in {self._where(path)}: {', '.join(unknown)} "
                              f"(allowed: {', '.join(req + opt)})")
        missing = [k for k in req if k not in table]
        if missing:
            raise ConfigError(f"missing key(s) in {self._where(path)}: {', '.join(missing)}")

    def string(self, value: Any, path: str, *, choices: Iterable[str] | None = None) -> str:
        """A non-empty string, optionally one of ``choices``."""
        if not isinstance(value, str):
            raise self._type_error(path, "a string", value)
        if not value:
            raise self.fail(path, "be a non-empty string", value)
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                raise self.fail(path, f"be one of {', '.join(allowed)}", value)
        return value

    def real(self, value: Any, path: str, *, allow_inf: bool = False) -> float:
        """A real number (not a bool), finite unless ``allow_inf``; NaN is always refused."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self._type_error(path, "a number", value)
        v = float(value)
        if math.isnan(v) or (math.isinf(v) and not allow_inf):
            raise self.fail(path, "be finite", value)
        return v

    def positive(self, value: Any, path: str, *, allow_inf: bool = False, maximum: float | None = None,
                 limit_note: str = "") -> float:
        """A number > 0, optionally at most ``maximum`` (the message quotes ``limit_note``)."""
        v = self.real(value, path, allow_inf=allow_inf)
        if v <= 0:
            raise self.fail(path, "be > 0", value)
        if maximum is not None and v > maximum:
            raise self.fail(path, f"be <= {maximum:g}{limit_note}", value)
        return v

    def integer(self, value: Any, path: str, *, minimum: int = 0, maximum: int | None = None,
                limit_note: str = "") -> int:
        """An integer (not a bool) in ``[minimum, maximum]``."""
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self._type_error(path, "an integer", value)
        v = int(value)
        if v < minimum:
            raise self.fail(path, f"be >= {minimum}", v)
        if maximum is not None and v > maximum:
            raise self.fail(path, f"be <= {maximum:,}{limit_note}", v)
        return v

    def in_range(self, value: Any, path: str, lo: float, hi: float, *, lo_open: bool = False,
                 hi_open: bool = False) -> float:
        """A number in the interval from ``lo`` to ``hi`` (closed unless said open)."""
        v = self.real(value, path)
        ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
        if not ok:
            raise self.fail(path, f"lie in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}", v)
        return v


def parse_toml(raw: bytes, path: str | Path, what: str) -> dict[str, Any]:
    """Parse TOML bytes already read from ``path`` (for callers that also hash the exact bytes).

    Parameters
    ----------
    raw
        The file's bytes.
    path
        Where they came from, for messages.
    what
        What the file is, for messages.

    Returns
    -------
    dict
        The TOML document the bytes hold.

    Raises
    ------
    ConfigError
        Not UTF-8 TOML: the message names the file and quotes the parser's complaint.
    """
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{what} file {Path(path)} is not valid TOML: {exc}") from None


# ============================================================================ writing
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    """A TOML basic string: quoted, with backslashes, quotes and every control character escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: object, quoted: bool, where: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"TOML keys must be strings (got {key!r} in {where or 'the top level'})")
    return key if (_BARE_KEY.match(key) and not quoted) else _toml_string(key)


def _toml_value(value: object, where: str) -> str:
    """A TOML literal for a scalar or a list (bool before int: ``True`` is an int in Python)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # repr round-trips exactly; inf and nan are TOML too
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v, where) for v in value) + "]"
    raise TypeError(
        f"{where} must be a bool, number, string, list or table to be written as TOML "
        f"(got {value!r} of type {type(value).__name__}; TOML has no null)"
    )


def _toml_table(table: Mapping[str, object], names: tuple[str, ...], header: str, quoted: Collection[str],
                comments: Mapping[str, str], lines: list[str]) -> None:
    """Append ``table``'s key = value lines, then each sub-table under its own ``[header]``."""
    name = ".".join(names)
    quote = name in quoted
    for key, value in table.items():
        if not isinstance(value, Mapping):
            where = f"{name}.{key}" if name else str(key)
            lines.append(f"{_toml_key(key, quote, name)} = {_toml_value(value, where)}")
    for key, value in table.items():
        if isinstance(value, Mapping):
            sub_names = (*names, str(key))
            sub_header = f"{header}.{_toml_key(key, quote, name)}" if header else _toml_key(key, quote, name)
            if lines:
                lines.append("")
            if ".".join(sub_names) in comments:
                lines += [f"# {line}" for line in comments[".".join(sub_names)].splitlines()]
            lines.append(f"[{sub_header}]")
            _toml_table(value, sub_names, sub_header, quoted, comments, lines)


def dumps_toml(
    document: Mapping[str, object],
    *,
    quoted_tables: Collection[str] = (),
    comments: Mapping[str, str] | None = None,
) -> str:
    """Write a document of tables, numbers, strings, booleans and lists as TOML text.

    Each table lists its own values first (``key = value``), then its sub-tables, each under a
    ``[dotted.header]`` after a blank line. Floats are written with ``repr`` (they read back
    exactly); strings are basic strings with every control character escaped. Keys are bare when
    they can be, except in the tables named in ``quoted_tables``, whose keys are data (domain names)
    and are always quoted so that every name reads the same way.

    Parameters
    ----------
    document : mapping
        The top-level table. Values are bool, int, float, str, lists of those, or mappings (tables).
    quoted_tables : collection of str
        Dotted names of tables (e.g. ``"weights"``, ``"provenance.raw"``; the keys joined by ``.``)
        whose keys are always quoted.
    comments : mapping of str to str, optional
        A comment to write above a table's header, by the table's dotted name.

    Returns
    -------
    str
        The TOML text, ending with a newline; :func:`tomllib.loads` gives ``document`` back.

    Raises
    ------
    TypeError
        If a key is not a string, or a value is None or of a type TOML cannot hold; the message
        names the key.

    Examples
    --------
    >>> print(dumps_toml({"rationale": "more books", "weights": {"web": 0.75, "books": 0.25}},
    ...                  quoted_tables=["weights"]), end="")
    rationale = "more books"
    <BLANKLINE>
    [weights]
    "web" = 0.75
    "books" = 0.25

    Used in: :meth:`mixlab.widgets.MixtureEditor.config_toml` (the hand-tuned config a lesson saves).
    """
    lines: list[str] = []
    _toml_table(document, (), "", set(quoted_tables), dict(comments or {}), lines)
    return "\n".join(lines) + "\n"
