"""Reading and checking small TOML configuration files: world specs, build recipes, hand-tuned mixtures.

One kit for every config the course reads, so that every config error reads the same way: it names
the document (``"recipe build.toml"``, ``"world spec tiny.toml"``), the dotted path of the field, the
violated condition and the offending value, e.g.
``world spec tiny.toml: domains.web.docs must be > 0 (got -3)``.

Type errors raise :class:`TypeError`; bad values, unknown or missing keys and limits raise
:class:`ValueError`. Files that cannot be read raise an :class:`OSError` subclass
(:class:`FileNotFoundError`, :class:`IsADirectoryError`, :class:`PermissionError`) or, for text
that is not TOML, :class:`ConfigError`; every message names the file.

Used in: 2.2, 3.4, A.1 (through :mod:`mixlab.world`, :mod:`mixlab.recipe` and :mod:`mixlab.mixers`).
"""

from __future__ import annotations

import math
import numbers
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "Fields", "read_toml", "parse_toml"]


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
