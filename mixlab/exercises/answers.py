"""Reading a learner's answer: numbers, per-domain tables, yes/no and ordered names.

A checker never raises on a wrong or odd answer. Anything it cannot interpret (``None``, the
placeholder ``...``, text where a number belongs, a list of the wrong length) raises
:class:`Unreadable` inside this package, which the checker turns into the verdict
``"could not read your answer: …"``.

Used in: the comparison modules of :mod:`mixlab.exercises` (every "check yourself" cell).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.verdicts import Verdict, unanswered, wrong
from mixlab.mixture import Mixture

__all__ = [
    "Unreadable",
    "Placeholder",
    "unreadable",
    "read_number",
    "read_table",
    "read_domain_table",
    "read_yes_no",
    "read_names",
    "domain_problem",
]


class Unreadable(Exception):
    """The learner's answer cannot be interpreted (turned into a Verdict, never raised to the learner)."""


class Placeholder(Unreadable):
    """The answer is still the exercise's placeholder (``...``): nothing to judge yet."""


def unreadable(exc: Unreadable) -> Verdict:
    """The verdict for an answer that could not be read ("not yet" for the placeholder).

    Parameters
    ----------
    exc : Unreadable
        What could not be read.

    Returns
    -------
    Verdict
        ✗ "could not read your answer: …", unanswered for a :class:`Placeholder`.

    Used in: the comparison modules; the exercise catalog of 3.1.
    """
    message = f"could not read your answer: {exc}"
    return unanswered(message) if isinstance(exc, Placeholder) else wrong(message)


def _placeholder(answer: Any) -> None:
    if answer is None:
        raise Unreadable("it is None — did the cell assign your result (or does your function `return` it)?")
    if answer is Ellipsis:
        raise Placeholder("it is still the placeholder `...`; replace it with your answer")


def read_number(answer: Any, name: str | None = None) -> float:
    """A finite float from the answer; ``name`` names the entry inside a larger answer.

    Parameters
    ----------
    answer : object
        A number, numpy scalar, or one-element array or Series.
    name : str, optional
        How to name the value in messages (``"the value for 'web'"``).

    Returns
    -------
    float

    Raises
    ------
    Unreadable
        For None, ``...``, text, non-numbers, NaN and infinities.

    Used in: every number checker; the exercise catalog of 3.1.
    """
    _placeholder(answer)
    subject = name or "it"
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.reshape(()).item()
    if isinstance(answer, pd.Series) and answer.size == 1:
        answer = answer.iloc[0]
    if isinstance(answer, str):
        raise Unreadable(f"{subject} is the text {answer!r}; give a number (without quotes)")
    if isinstance(answer, bool | np.bool_) or not isinstance(answer, numbers.Real):
        where = f" for {name}" if name else ""
        raise Unreadable(f"expected a number{where}, got {type(answer).__name__} {answer!r}")
    v = float(answer)
    if math.isnan(v):
        raise Unreadable(f"{subject} is NaN (a 0/0 somewhere?)")
    if math.isinf(v):
        raise Unreadable(f"{subject} is infinite (a division by zero somewhere?)")
    return v


def _pairs(answer: Any, domains: Sequence[str], what: str) -> list[tuple[Any, Any]]:
    """(name, value) pairs from a Mixture, Series, mapping, one-column DataFrame or a list in domain order."""
    if isinstance(answer, Mixture):
        return answer.items()
    if isinstance(answer, pd.DataFrame):
        if answer.shape[1] != 1:
            raise Unreadable(f"got a table with columns {list(answer.columns)}; give one number per domain")
        return list(answer.iloc[:, 0].items())
    if isinstance(answer, pd.Series | Mapping):
        return list(answer.items())
    if isinstance(answer, str | bytes) or isinstance(answer, numbers.Number):
        raise Unreadable(f"expected {what} (one number per domain, e.g. a dict), got {type(answer).__name__} "
                         f"{answer!r}")
    try:
        values = list(answer)
    except TypeError:
        raise Unreadable(f"expected {what} (e.g. a dict domain → value), got {type(answer).__name__}") from None
    if len(values) != len(domains):
        raise Unreadable(f"got {len(values)} numbers for {len(domains)} domains ({', '.join(domains)}); "
                         "a dict {domain: value} is clearer than a list")
    return list(zip(domains, values, strict=True))


def read_table(answer: Any, domains: Sequence[str], what: str) -> pd.Series:
    """Per-domain numbers from a Mixture, Series, mapping, one-column DataFrame or a list in domain order.

    Parameters
    ----------
    answer : object
        The learner's answer.
    domains : sequence of str
        The expected domains (the order a plain list is read in).
    what : str
        What the numbers are, for messages (``"mixture weights"``).

    Returns
    -------
    pandas.Series
        One float per name given, in the answer's order.

    Raises
    ------
    Unreadable
        For an answer of the wrong shape, repeated names or an entry that is not a number.

    Used in: the mixture, epochs and feasibility checkers.
    """
    _placeholder(answer)
    pairs = _pairs(answer, domains, what)
    names = [k if isinstance(k, str) else str(k) for k, _ in pairs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise Unreadable(f"domain names repeat: {', '.join(dup)}")
    vals = [read_number(v, f"the value for {n!r}") for n, (_, v) in zip(names, pairs, strict=True)]
    return pd.Series(vals, index=pd.Index(names, name="domain"), dtype=np.float64)


def read_domain_table(answer: Any, domains: Sequence[str], what: str) -> pd.Series | Verdict:
    """Per-domain numbers in ``domains`` order, or the verdict saying why they cannot be read or are named wrong.

    Parameters
    ----------
    answer : object
        The learner's answer.
    domains : sequence of str
        The expected domains.
    what : str
        What the numbers are, for messages.

    Returns
    -------
    pandas.Series or Verdict
        The numbers indexed by ``domains``, or a ✗ verdict (unreadable, missing or unknown names).

    Used in: the mixture, epochs and feasibility checkers; the exercise catalog of 3.4.
    """
    try:
        table = read_table(answer, domains, what)
    except Unreadable as exc:
        return unreadable(exc)
    bad = domain_problem(list(table.index), domains)
    return bad if bad is not None else table.loc[list(domains)]


def read_yes_no(answer: Any) -> bool:
    """True/False from a bool or a yes/no word (``"yes"``, ``"infeasible"``, …).

    Parameters
    ----------
    answer : object

    Returns
    -------
    bool

    Raises
    ------
    Unreadable
        For anything else.

    Used in: the feasibility checker.
    """
    _placeholder(answer)
    if isinstance(answer, bool | np.bool_):
        return bool(answer)
    if isinstance(answer, str):
        t = answer.strip().lower()
        if t in ("yes", "y", "true", "feasible"):
            return True
        if t in ("no", "n", "false", "infeasible", "not feasible"):
            return False
    raise Unreadable(f"expected True/False (feasible or not) or a mixture, got {type(answer).__name__} {answer!r}")


def read_names(answer: Any, what: str) -> list[str]:
    """An ordered list of names (strings) from a list, tuple or pandas Index.

    Parameters
    ----------
    answer : object
    what : str
        What the names are, for messages (``"mixtures"``).

    Returns
    -------
    list of str

    Raises
    ------
    Unreadable
        For text, mappings, non-iterables or entries that are not strings.

    Used in: the ranking checker.
    """
    _placeholder(answer)
    if isinstance(answer, str | bytes) or isinstance(answer, Mapping):
        raise Unreadable(f"expected a list of {what} in order, got {type(answer).__name__}")
    try:
        got = list(answer)
    except TypeError:
        raise Unreadable(f"expected a list of {what} in order, got {type(answer).__name__}") from None
    bad = [x for x in got if not isinstance(x, str)]
    if bad:
        raise Unreadable(f"expected names of {what} (strings), got {bad[:3]!r}")
    return got


def domain_problem(got: Sequence[str], expected: Sequence[str]) -> Verdict | None:
    """A verdict about missing/unknown domains (with case slips named), or None when the names match.

    Parameters
    ----------
    got : sequence of str
        The names in the answer.
    expected : sequence of str
        The expected names.

    Returns
    -------
    Verdict or None

    Used in: the mixture, epochs, feasibility and ranking checkers.
    """
    missing = [d for d in expected if d not in got]
    unknown = [d for d in got if d not in expected]
    if not missing and not unknown:
        return None
    parts = []
    if missing:
        parts.append(f"missing: {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown: {', '.join(unknown)}")
    hints = [f"The expected domains are: {', '.join(expected)}."]
    folded = {d.strip().lower(): d for d in expected}
    near = [f"{u!r} → {folded[u.strip().lower()]!r}" for u in unknown if u.strip().lower() in folded]
    if near:
        hints.append("Domain names are case- and space-sensitive: " + ", ".join(near) + ".")
    elif missing and not unknown:
        hints.append("Every domain needs a weight, even if it is 0.")
    return wrong(f"Your answer does not name the right domains ({'; '.join(parts)}).", hints)
