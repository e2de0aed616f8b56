"""Comparing a number with the expected one, and naming the usual slips.

Recognized without help: a flipped sign, a percentage given as a fraction (or the reverse),
unit slips by 10³, 10⁶ and 10⁹, the reciprocal, and small integer factors (2…12, e.g. a
missing ½). An exercise adds its own: ``factors`` (a named factor such as the number of domains)
and ``slips`` (the value a known mistake gives, with the hint that names the mistake — e.g.
``R = epochs`` where ``R = epochs − 1`` belongs).

Used in: compute exercises of every notebook (rates, budgets, epochs, distances, losses).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mixlab.exercises.answers import Unreadable, read_number, unreadable
from mixlab.exercises.verdicts import Verdict, right, wrong

__all__ = ["compare_number", "compare_number_lazy", "number_diagnosis"]

_SCALE_SLIPS: tuple[tuple[float, str], ...] = (
    (100.0, "Your answer is 100× too large: a percentage where a fraction was asked?"),
    (0.01, "Your answer is 100× too small: a fraction where a percentage was asked?"),
    (1e3, "Your answer is 1000× too large: a unit slip (thousands / millions / billions)?"),
    (1e-3, "Your answer is 1000× too small: a unit slip (thousands / millions / billions)?"),
    (1e6, "Your answer is 10⁶× too large: a unit slip (e.g. tokens vs millions of tokens)?"),
    (1e-6, "Your answer is 10⁶× too small: a unit slip (e.g. millions of tokens vs tokens)?"),
    (1e9, "Your answer is 10⁹× too large: a unit slip (e.g. tokens vs billions of tokens)?"),
    (1e-9, "Your answer is 10⁹× too small: a unit slip (e.g. billions of tokens vs tokens)?"),
)


def number_diagnosis(
    a: float,
    e: float,
    rtol: float,
    factors: Mapping[str, float] | None = None,
    slips: Mapping[str, float] | None = None,
) -> list[str]:
    """Hints for a wrong number ``a`` when ``e`` was expected.

    Tried in order: the exercise's ``slips`` (hint → the value that mistake gives), a flipped
    sign, scale slips (×100, ×10³, ×10⁶, ×10⁹ and their inverses), the reciprocal, the named
    ``factors``, small integer factors 2…12; otherwise how far off in percent.

    Parameters
    ----------
    a, e : float
        The answer and the expected value.
    rtol : float
        Relative tolerance for recognizing a slip.
    factors : mapping name → factor, optional
    slips : mapping hint → value, optional

    Returns
    -------
    list of str
        One hint.

    Used in: :func:`compare_number`, the epochs checker.
    """
    if e == 0:
        return ["The expected value is 0."]

    def near(x: float, y: float) -> bool:
        return abs(x - y) <= rtol * abs(y)

    for hint, value in (slips or {}).items():
        if math.isfinite(value) and near(a, value) and not near(value, e):
            return [hint]
    r = a / e
    if near(a, -e):
        return ["The sign is flipped."]
    for f, text in _SCALE_SLIPS:
        if near(r, f):
            return [text]
    if a != 0 and near(1.0 / a, e) and not near(e, 1.0):
        return ["You computed the reciprocal (1/x) of the quantity asked for: check what goes in the numerator."]
    for name, f in (factors or {}).items():
        if f and near(r, f):
            return [f"Your answer is {name} = {f:g} times too large."]
        if f and near(r, 1.0 / f):
            return [f"Your answer is {name} = {f:g} times too small."]
    for n in range(2, 13):
        if near(r, float(n)):
            return [f"Your answer is {n}× too large."]
        if near(r, 1.0 / n):
            return [f"Your answer is {n}× too small."]
    pct = (r - 1.0) * 100.0
    return [f"Your answer is {abs(pct):.0f}% too {'high' if pct > 0 else 'low'}."]


def compare_number(
    answer: Any,
    expected: float,
    *,
    rtol: float = 1e-2,
    atol: float = 0.0,
    what: str = "your answer",
    unit: str = "",
    factors: Mapping[str, float] | None = None,
    slips: Mapping[str, float] | None = None,
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check a number within a relative (and absolute) tolerance, naming off-by-factor slips.

    Parameters
    ----------
    answer : number (int, float, numpy scalar or a one-element array)
    expected : float
        The right value (finite).
    rtol, atol : float
        Accept ``|answer − expected| <= max(atol, rtol·|expected|)``.
    what : str
        Name of the quantity, used in the message (e.g. ``"epochs of books"``).
    unit : str
        Unit appended to the value in the message (e.g. ``"tokens"``).
    factors : mapping name → factor, optional
        Exercise-specific factors to recognize, e.g. ``{"k (number of domains)": 6}``.
    slips : mapping hint → value, optional
        Known mistakes: the value each gives and the hint that names it, e.g.
        ``{"R counts repetitions: epochs − 1.": effective_tokens(U, 4)}``.
    hints : sequence of str, optional
        Exercise-specific hints appended to a wrong verdict.

    Returns
    -------
    Verdict
        See :func:`number_diagnosis` for the slips recognized. The expected value is not
        revealed.

    Raises
    ------
    ValueError
        If ``expected`` is not finite or a tolerance is negative (errors in the exercise).

    Used in: compute exercises of every notebook (budgets, epochs, rates, losses).
    """
    e = float(expected)
    if not math.isfinite(e):
        raise ValueError(f"expected must be finite (got {expected!r})")
    if rtol < 0 or atol < 0:
        raise ValueError(f"tolerances must be >= 0 (got rtol={rtol!r}, atol={atol!r})")
    try:
        a = read_number(answer)
    except Unreadable as exc:
        return unreadable(exc)
    u = f" {unit}" if unit else ""
    subject = what[:1].upper() + what[1:]
    if abs(a - e) <= max(atol, rtol * abs(e)):
        return right(f"{subject} = {a:.6g}{u}.")
    tol = f"{rtol * 100:.3g}%" if rtol * abs(e) >= atol else f"±{atol:.3g}"
    return wrong(f"{subject} = {a:.6g}{u} is not within {tol} of the expected value.",
                 number_diagnosis(a, e, max(rtol, 1e-9), factors, slips), hints)


def compare_number_lazy(
    answer: Any,
    expected: float,
    *,
    slips: Callable[[], Mapping[str, float]],
    **options: Any,
) -> Verdict:
    """:func:`compare_number`, computing the exercise's ``slips`` only for a wrong answer.

    A slip value can be as costly as the reference (another world, another proxy run); the
    placeholder ``...`` and a right answer never need them, so a notebook whose check cells
    hold stubs and whose solutions are right never computes them.

    Parameters
    ----------
    answer : number
    expected : float
    slips : callable
        ``slips()`` returns the mapping hint → value of :func:`compare_number`; called at most once,
        and only when the answer is read and wrong.
    **options
        The other keyword arguments of :func:`compare_number` (``rtol``, ``atol``, ``what``,
        ``unit``, ``factors``, ``hints``).

    Returns
    -------
    Verdict
        The same verdict :func:`compare_number` gives with the slips.

    Used in: the compute exercises of 2.1, 2.3, 2.4 and A.1.
    """
    first = compare_number(answer, expected, **options)
    if first.ok or not first.answered or first.message.startswith("could not read"):
        return first
    return compare_number(answer, expected, slips=slips(), **options)
