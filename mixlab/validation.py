"""Input validation at the library boundary.

Every public mixlab function checks its arguments with these helpers and raises an error
that names the argument, the violated condition and the offending value(s). Internals
then trust validated data. Modelled on scikit-learn's ``check_*`` helpers.

Used in: every lesson (the errors a learner sees come from here).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence, Sized
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "InvariantError",
    "check_seed",
    "check_int",
    "check_positive",
    "check_probability",
    "check_finite_array",
    "check_same_length",
    "check_names",
    "check_flag",
    "check_at_most",
    "check_named_values",
    "check_counts",
    "COUNT_COLUMNS",
    "format_values",
    "format_masked",
]


class InvariantError(ValueError):
    """An invariant of a data object was violated (fail-fast check).

    Subclasses ``ValueError`` so callers that catch bad input also catch broken invariants.

    Used in: internal (raised by the checks of data objects: stage rows, ledgers, caps, realized mixtures).
    """


def format_values(pairs: Iterable[tuple[object, object]], limit: int = 8) -> str:
    """Format ``name=value`` pairs for an error message, truncating long lists.

    Parameters
    ----------
    pairs : iterable of (name, value)
        What to show. Floats are printed with 6 significant digits.
    limit : int
        Show at most this many pairs, then ``… (+N more)``.

    Returns
    -------
    str
        E.g. ``"web=0.7, code=0.5"``.

    Used in: internal (argument checks at the library boundary).
    """
    items = list(pairs)
    shown = []
    for name, value in items[:limit]:
        if isinstance(value, float | np.floating):
            shown.append(f"{name}={float(value):.6g}")
        else:
            shown.append(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}")
    text = ", ".join(shown)
    if len(items) > limit:
        text += f", … (+{len(items) - limit} more)"
    return text


def format_masked(names: Sequence[object] | np.ndarray, values: Sequence[object] | np.ndarray,
                  mask: np.ndarray) -> str:
    """Format the ``name=value`` pairs selected by a boolean ``mask`` (for error messages).

    Parameters
    ----------
    names, values : sequences of equal length
        Labels and values, e.g. domain names and weights.
    mask : numpy.ndarray of bool
        Which entries to show.

    Returns
    -------
    str
        E.g. ``"web=nan, code=-0.1"`` (see :func:`format_values`).

    Used in: internal (argument checks at the library boundary).
    """
    return format_values(zip(np.asarray(names)[mask], np.asarray(values)[mask], strict=True))


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as a non-negative Python int, or raise.

    Parameters
    ----------
    seed : int
        A non-negative integer (``bool`` and floats are rejected, even ``3.0``).
    name : str
        Argument name used in the error message.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``seed`` is not an integer.
    ValueError
        If ``seed`` is negative.

    Used in: 00 (what a refused argument looks like); internal (argument checks at the library boundary).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer (got {seed!r} of type {type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative integer (got {seed})")
    return int(seed)


def check_int(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int within ``[minimum, maximum]``, or raise.

    Parameters
    ----------
    value : int
        The argument (``bool`` and floats are rejected, even ``3.0``).
    name : str
        Argument name used in the message.
    minimum, maximum : int, optional
        Inclusive bounds.

    Returns
    -------
    int
        A plain Python int (numpy integers are converted).

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``bool`` and floats are rejected).
    ValueError
        If ``value`` is outside the stated bounds.

    Used in: internal (argument checks at the library boundary).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer (got {value!r} of type {type(value).__name__})")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum} (got {v})")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum} (got {v})")
    return v


def check_positive(value: object, name: str, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """Return ``value`` as a float that is > 0 (or >= 0), finite unless ``allow_inf``.

    For budgets, epochs, temperatures and tolerances: a bool or a numeric string is refused.

    Parameters
    ----------
    value : float
        The argument (a real number, not a bool).
    name : str
        How the message calls the argument.
    allow_zero : bool
        Accept 0.
    allow_inf : bool
        Accept ``+inf``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, infinite (unless allowed), negative, or zero (unless allowed).

    Used in: internal (argument checks at the library boundary).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (got {value!r} of type {type(value).__name__})")
    v = float(value)
    if np.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if np.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite (got {v})")
    if allow_zero:
        if v < 0:
            raise ValueError(f"{name} must be >= 0 (got {v:.6g})")
    elif v <= 0:
        raise ValueError(f"{name} must be > 0 (got {v:.6g})")
    return v


def check_probability(value: object, name: str, *, open_left: bool = False, open_right: bool = False) -> float:
    """Return ``value`` as a float in [0, 1] (optionally open at either end), or raise.

    For shares, rates and significance levels; NaN is always refused.

    Parameters
    ----------
    value : float
        A share, rate or probability.
    name : str
        What the argument is called in messages.
    open_left, open_right : bool
        Exclude 0 / exclude 1.

    Returns
    -------
    float
        The value, in the interval.

    Raises
    ------
    TypeError
        If ``value`` is a bool or not a real number.
    ValueError
        If ``value`` is NaN or outside the interval.

    Used in: internal (argument checks at the library boundary).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (got {value!r} of type {type(value).__name__})")
    v = float(value)
    lo_ok = v > 0 if open_left else v >= 0
    hi_ok = v < 1 if open_right else v <= 1
    if np.isnan(v) or not (lo_ok and hi_ok):
        lo = "(0" if open_left else "[0"
        hi = "1)" if open_right else "1]"
        raise ValueError(f"{name} must lie in {lo}, {hi} (got {v!r})")
    return v


def _refuse_text_and_bools(values: object, name: str) -> None:
    """Strings (``"5"``) and booleans convert to numbers silently; refuse them before converting."""
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError):
        return  # ragged or otherwise unconvertible: the numeric conversion reports it
    bad: object = None
    if raw.dtype.kind in "USb":
        bad = raw.ravel()[0] if raw.size else raw.dtype
    elif raw.dtype.kind == "O":
        bad = next((x for x in raw.ravel() if isinstance(x, str | bytes | bool | np.bool_)), None)
    if bad is not None:
        raise TypeError(f"{name} must be numeric, not text or booleans (got {bad!r} in {_short_repr(values)})")


def _short_repr(values: object) -> str:
    text = repr(values)
    return text if len(text) <= 80 else text[:77] + "..."


def check_finite_array(
    values: object,
    name: str,
    *,
    ndim: int | None = 1,
    nonnegative: bool = False,
    labels: Sequence[object] | None = None,
    dtype: type = np.float64,
) -> np.ndarray:
    """Convert ``values`` to a numeric array and check it is finite (and >= 0 if asked).

    Parameters
    ----------
    values : array-like
        The input.
    name : str
        Argument name for messages.
    ndim : int or None
        Required number of dimensions (None: any).
    nonnegative : bool
        Also require every entry >= 0.
    labels : sequence, optional
        Names of the entries (1-d only), used to say *which* entries are bad.
    dtype : numpy dtype
        Target dtype.

    Returns
    -------
    numpy.ndarray
        A new array of ``dtype``.

    Raises
    ------
    TypeError
        If the input is not numeric, or holds text or booleans (``"5"`` and ``True`` would
        otherwise convert silently).
    ValueError
        On wrong dimensionality, NaN, infinity, or negative entries (when forbidden).

    Used in: internal (argument checks at the library boundary).
    """
    _refuse_text_and_bools(values, name)
    try:
        arr = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric (got {values!r})") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional (got shape {arr.shape})")
    names = list(labels) if labels is not None and arr.ndim == 1 else list(range(arr.size))

    def _bad(mask: np.ndarray) -> str:
        idx = np.flatnonzero(mask.ravel())
        return format_values((names[i] if i < len(names) else i, arr.ravel()[i]) for i in idx)

    nan = np.isnan(arr)
    if nan.any():
        raise ValueError(f"{name} must not contain NaN (at {_bad(nan)})")
    inf = np.isinf(arr)
    if inf.any():
        raise ValueError(f"{name} must be finite (got {_bad(inf)})")
    if nonnegative:
        neg = arr < 0
        if neg.any():
            raise ValueError(f"{name} must be >= 0 (got {_bad(neg)})")
    return arr


def check_same_length(**arrays: Sized) -> int:
    """Check that all keyword arguments have the same length; return it.

    Parameters
    ----------
    **arrays : sized
        The arguments, by name.

    Returns
    -------
    int
        The common length (0 when none is given).

    Raises
    ------
    ValueError
        Naming every argument and its length when they differ.

    Used in: internal (argument checks at the library boundary).
    """
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError("arrays must have the same length (got " + format_values(lengths.items()) + ")")
    return next(iter(lengths.values()), 0)


def check_names(names: Iterable[object], name: str = "names") -> tuple[str, ...]:
    """Check a collection of domain names: non-empty strings, no duplicates, at least one.

    Parameters
    ----------
    names : iterable
        The names.
    name : str
        What they are, for messages.

    Returns
    -------
    tuple of str
        The names in the given order.

    Raises
    ------
    TypeError
        If a name is not a string.
    ValueError
        If the collection is empty, a name is empty, or a name repeats.

    Used in: internal (argument checks at the library boundary).
    """
    given = tuple(names)
    if not given:
        raise ValueError(f"{name} must not be empty")
    out: list[str] = []
    for n in given:
        if not isinstance(n, str):
            raise TypeError(f"{name} must be strings (got {n!r} of type {type(n).__name__})")
        if not n.strip():
            raise ValueError(f"{name} must be non-empty strings (got {n!r})")
        out.append(n)
    seen: set[str] = set()
    dups = sorted({n for n in out if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dups:
        raise ValueError(f"{name} must be unique (duplicated: {', '.join(dups)})")
    return tuple(out)



def check_flag(value: object, name: str) -> bool:
    """Return ``value`` as a bool, refusing anything that is not ``True`` or ``False``.

    A truthy string such as ``"no"`` would otherwise silently mean ``True``.

    Parameters
    ----------
    value : bool
        The argument.
    name : str
        Argument name used in the message.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If ``value`` is not a bool (``numpy.bool_`` is accepted).

    Used in: internal (argument checks at the library boundary).
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False (got {value!r} of type {type(value).__name__})")
    return bool(value)


def check_at_most(value: float, name: str, limit: float, why: str) -> None:
    """Refuse a size argument above a documented ``limit``, before anything is allocated.

    Parameters
    ----------
    value : float
        The requested size (already checked to be a number).
    name : str
        Argument name for the message.
    limit : float
        The largest accepted value.
    why : str
        What the limit protects, quoted in the message (e.g. the memory it would take).

    Raises
    ------
    ValueError
        ``"{name} must be <= {limit} ({why}) (got {value})"``.

    Used in: internal (argument checks at the library boundary).
    """
    if value > limit:
        raise ValueError(f"{name} must be <= {limit:,.0f} ({why}) (got {value:,.6g})")


def check_named_values(
    names: Sequence[object], values: Sequence[object], name: str, *, positive: bool = False
) -> np.ndarray:
    """Check one real number per name: no bool, no string, no NaN or infinity, none negative.

    Parameters
    ----------
    names : sequence
        Labels of the values (e.g. domain names), used to say which entries are bad.
    values : sequence
        The values, one per name. ``"5"`` and ``True`` are refused (a string or a bool is not
        a count or a weight), whatever they would convert to.
    name : str
        What the values are, for messages (``"mixture weights"``, ``"counts['docs']"``).
    positive : bool
        Also require every value > 0.

    Returns
    -------
    numpy.ndarray
        float64 values in the given order.

    Raises
    ------
    TypeError
        Naming every entry that is not a real number.
    ValueError
        Naming every NaN, infinite, negative (or, with ``positive``, zero) entry.

    Used in: internal (argument checks at the library boundary).
    """
    bad_type = [(n, v) for n, v in zip(names, values, strict=True)
                if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real)]
    if bad_type:
        raise TypeError(f"{name} must be real numbers (got {format_values(bad_type)})")
    arr = np.asarray([float(v) for v in values], dtype=np.float64)  # type: ignore[arg-type]
    checks = [(np.isnan(arr), "must not be NaN"), (np.isinf(arr), "must be finite"), (arr < 0, "must be >= 0")]
    if positive:
        checks.append((arr <= 0, "must be > 0"))
    for cond, msg in checks:
        if cond.any():
            raise ValueError(f"{name} {msg} (got {format_masked(list(names), arr, cond)})")
    return arr


#: The standard columns of a counts table.
COUNT_COLUMNS: tuple[str, ...] = ("docs", "tokens")


def check_counts(counts: pd.DataFrame, columns: Sequence[str] = COUNT_COLUMNS, *,
                 name: str = "counts") -> pd.DataFrame:
    """Check a counts table (one row per domain; document and token counts) and return a float copy.

    The one check every function that reads "a table of domains with document and token counts"
    runs: mixers, budget functions, mixture conversions, sampling (and, through them, widgets).

    Parameters
    ----------
    counts : pandas.DataFrame
        Indexed by domain name (unique non-empty strings); must have ``columns``. Other columns
        are ignored.
    columns : sequence of str
        The count columns to check and return (``docs``, ``tokens`` or both).
    name : str
        Argument name for messages.

    Returns
    -------
    pandas.DataFrame
        float64 copy with exactly ``columns``, index named ``domain``.

    Raises
    ------
    TypeError
        If ``counts`` is not a DataFrame, a domain name is not a string, or a count is not a
        real number (booleans and numeric strings such as ``"5"`` included).
    ValueError
        Missing columns, no domains, empty or repeated names, NaN, infinite or negative counts,
        fractional document counts (``docs=2.5``), a column whose total is 0, or, when both
        columns are checked, a domain with documents but no tokens or with tokens but no documents.

    Used in: internal (every mixer, budget function and counts-table conversion runs it).
    """
    import pandas as pd

    if not isinstance(counts, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame indexed by domain with columns "
                        f"{' and '.join(columns)} (got {type(counts).__name__})")
    missing = [c for c in columns if c not in counts.columns]
    if missing:
        raise ValueError(f"{name} is missing columns: {', '.join(missing)} "
                         f"(has: {', '.join(map(str, counts.columns)) or 'none'})")
    if len(counts) == 0:
        raise ValueError(f"{name} must have at least one domain (got an empty table)")
    for label in counts.index:
        if not isinstance(label, str):
            raise TypeError(f"{name} index must hold domain names (strings) (got {label!r} of type "
                            f"{type(label).__name__})")
    names = check_names(counts.index.tolist(), f"{name} index (domain names)")
    out = {c: check_named_values(names, counts[c].tolist(), f"{name}[{c!r}]") for c in columns}
    if "docs" in out:
        frac = out["docs"] != np.floor(out["docs"])
        if frac.any():
            raise ValueError(f"{name}['docs'] must be whole numbers (got {format_masked(names, out['docs'], frac)})")
    for c, col in out.items():
        if col.sum() <= 0:
            raise ValueError(f"{name}[{c!r}] must have a positive total (all zero: "
                             f"{format_values(zip(names, col.tolist(), strict=True))})")
    if "docs" in out and "tokens" in out:
        docs, tokens = out["docs"], out["tokens"]
        for mask, what in (((docs == 0) & (tokens > 0), "tokens but no documents"),
                           ((docs > 0) & (tokens == 0), "documents but no tokens")):
            if mask.any():
                pairs = ", ".join(f"{n} (docs={d:g}, tokens={t:g})" for n, d, t in
                                  zip(np.asarray(names)[mask], docs[mask], tokens[mask], strict=True))
                raise ValueError(f"{name} has domains with {what}: {pairs}")
    return pd.DataFrame(out, index=pd.Index(names, name="domain"))
