"""Comparing mixture weights with the expected mixture, and naming the usual mistakes.

Recognized: missing or unknown domains (and case slips), negative weights, percentages, weights
that do not sum to 1 (the sum is stated), document weights where token weights were asked (or
the reverse), the right numbers on the wrong domains (a swap), and any mistake the exercise
names with ``slips``. For temperature weights also: T used as the exponent instead of 1/T (or
1/α instead of α), the natural shares (T = 1), uniform (T → ∞), and the wrong counts column.

Used in: compute exercises of 1.1, 2.2, 2.4, 3.3, and the implement-it tasks that return mixtures
(:mod:`mixlab.exercises.tasks_mixtures` and the other ``tasks_*`` modules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import read_domain_table
from mixlab.exercises.verdicts import Verdict, right, wrong
from mixlab.mixture import Mixture

__all__ = ["compare_mixture", "compare_temperature_weights", "close", "gaps"]

#: A known mistake: the (normalized) weights it gives, the message and its hints.
Mistake = tuple[np.ndarray, str, Sequence[str]]


def close(a: np.ndarray, b: np.ndarray, atol: float, rtol: float = 0.0) -> bool:
    """Same shape and every entry within ``atol + rtol·|b|``.

    Parameters
    ----------
    a, b : numpy.ndarray
    atol, rtol : float

    Returns
    -------
    bool

    Used in: the checkers of this package.
    """
    return bool(a.shape == b.shape and np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def gaps(a: np.ndarray, e: np.ndarray, domains: Sequence[str], atol: float, rtol: float = 0.0, top: int = 3) -> str:
    """``"web (too high), code (too low)"`` for the entries off by more than the tolerance, largest first.

    Parameters
    ----------
    a, e : numpy.ndarray
        Answer and expected values, in ``domains`` order.
    domains : sequence of str
    atol, rtol : float
    top : int
        How many entries to name.

    Returns
    -------
    str

    Used in: the mixture and epochs checkers.
    """
    diff = a - e
    off = np.abs(diff) > atol + rtol * np.abs(e)
    order = [i for i in np.argsort(-np.abs(diff), kind="stable") if off[i]][:top]
    return ", ".join(f"{domains[i]} ({'too high' if diff[i] > 0 else 'too low'})" for i in order)


def _scale_verdict(a: np.ndarray, e: np.ndarray, atol: float, hints: Sequence[str] | None) -> Verdict | None:
    """Percentages, all zeros, or right proportions that are not normalized."""
    k = len(a)
    total = float(a.sum())
    if total > 0 and abs(total - 100.0) <= 100.0 * max(atol * k, 1e-6) and close(a / 100.0, e, atol):
        return wrong("These look like percentages: your weights sum to 100.",
                     ["The course writes weights as fractions that sum to 1 — divide by 100."], hints)
    if total <= 0:
        return wrong("Every weight is 0, so this is not a mixture.", ["At least one weight must be positive."], hints)
    if abs(total - 1.0) > max(atol, 1e-6) and close(a / total, e, atol):
        return wrong(f"Right proportions, but the weights sum to {total:.6g}, not 1.",
                     ["Normalize explicitly: divide every weight by the sum (Mixture.normalized does this)."], hints)
    return None


def _swap_verdict(answer: Any, normalized: np.ndarray, e: np.ndarray, domains: Sequence[str], atol: float,
                  sum_note: str, sum_hint: list[str], hints: Sequence[str] | None) -> Verdict | None:
    """The right numbers attached to the wrong names."""
    if not close(np.sort(normalized), np.sort(e), atol):
        return None
    wrong_idx = [i for i in range(len(domains)) if abs(normalized[i] - e[i]) > atol]
    positional = not isinstance(answer, Mixture | Mapping | pd.Series | pd.DataFrame)
    order_hint = [f"A plain list is read in the order {', '.join(domains)}; a dict {{domain: weight}} avoids "
                  "this."] if positional else []
    if len(wrong_idx) == 2:
        i, j = wrong_idx
        return wrong(f"The weights of {domains[i]} and {domains[j]} look swapped{sum_note}.",
                     [*order_hint, *sum_hint], hints)
    return wrong(f"You have the right numbers on the wrong domains ({', '.join(domains[i] for i in wrong_idx)})"
                 f"{sum_note}.", ["Check which weight belongs to which domain.", *order_hint, *sum_hint], hints)


def _kind_verdict(answer: Any, a: np.ndarray, expected: Mixture, atol: float,
                  hints: Sequence[str] | None) -> tuple[Verdict | None, list[str]]:
    """A Mixture of the other kind: a verdict if its numbers match, else a hint to carry along."""
    if not isinstance(answer, Mixture) or answer.kind == expected.kind:
        return None, []
    kind_hint = [f"Your Mixture has kind={answer.kind!r}, the question asks for {expected.kind} weights."]
    if close(a, expected.as_array(), atol):
        return wrong(f"The numbers match, but your Mixture holds {answer.kind} weights and the question asks "
                     f"for {expected.kind} weights — the same numbers mean a different mixture.",
                     [f"Build it with kind={expected.kind!r} (equal document shares and equal token shares "
                      "are different mixtures)."], hints), kind_hint
    return None, kind_hint


def weights_verdict(
    answer: Any,
    expected: Mixture,
    atol: float,
    mistakes: Sequence[Mistake],
    hints: Sequence[str] | None,
    what: str = "mixture weights",
) -> Verdict:
    """Shared core of the mixture checkers: read, names, sign, kind, scale, known mistakes, swaps.

    Parameters
    ----------
    answer : object
        The learner's weights.
    expected : Mixture
    atol : float
        Tolerance on each weight.
    mistakes : sequence of (numpy.ndarray, str, sequence of str)
        Known mistakes: the normalized weights each gives, the message, its hints.
    hints : sequence of str, optional
        Exercise hints appended to a wrong verdict.
    what : str
        What the weights are, for messages.

    Returns
    -------
    Verdict

    Used in: :func:`compare_mixture`, :func:`compare_temperature_weights`.
    """
    domains = list(expected.domains)
    table = read_domain_table(answer, domains, what)
    if isinstance(table, Verdict):
        return table
    a = table.to_numpy()
    e = expected.as_array()
    if (a < 0).any():
        neg = ", ".join(f"{d}={v:g}" for d, v in zip(domains, a, strict=True) if v < 0)
        return wrong(f"Weights cannot be negative ({neg}).",
                     ["A mixture lives on the simplex: w_i >= 0 and Σ w_i = 1."], hints)
    kind_verdict, kind_hint = _kind_verdict(answer, a, expected, atol, hints)
    if kind_verdict is not None:
        return kind_verdict
    if close(a, e, atol):
        return right(f"All {len(domains)} weights match within {atol:g}.")
    scaled = _scale_verdict(a, e, atol, hints)
    if scaled is not None:
        return scaled
    total = float(a.sum())
    normalized = a / total
    not_normalized = abs(total - 1.0) > max(atol, 1e-6)
    sum_note = f" (they also sum to {total:.6g}, not 1)" if not_normalized else ""
    sum_hint = ["Weights must sum to 1: normalize explicitly."] if not_normalized else []
    for alt, message, alt_hints in mistakes:
        if close(normalized, alt, atol):
            return wrong(message + sum_note, [*alt_hints, *sum_hint, *kind_hint], hints)
    swapped = _swap_verdict(answer, normalized, e, domains, atol, sum_note, sum_hint, hints)
    if swapped is not None:
        return swapped
    off = gaps(normalized, e, domains, atol)
    n_off = int(np.sum(np.abs(normalized - e) > atol))
    return wrong(f"{n_off} of {len(domains)} weights are off by more than {atol:g}: {off}{sum_note}.",
                 [*sum_hint, *kind_hint, "Recompute step by step and print the intermediate table."], hints)


def _as_mixture(weights: Any, domains: Sequence[str] | None = None) -> Mixture:
    if isinstance(weights, Mixture):
        return weights
    return Mixture(weights, domains=domains)


def compare_mixture(
    answer: Any,
    expected: Mixture | Mapping[str, float] | pd.Series,
    *,
    atol: float = 1e-3,
    mean_lengths: pd.Series | Mapping[str, float] | pd.DataFrame | None = None,
    slips: Sequence[tuple[Mixture | Mapping[str, float] | pd.Series, str]] = (),
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check a mixture given as an answer against the expected one, diagnosing common mistakes.

    Parameters
    ----------
    answer : Mixture, Series, mapping domain → weight, or a list in ``expected.domains`` order
        The learner's weights.
    expected : Mixture, Series or mapping on the simplex
        The right answer (a Mixture's ``kind`` says whether token or document weights were asked).
    atol : float
        Tolerance on each weight.
    mean_lengths : Series, mapping or counts DataFrame, optional
        Mean document length per domain. When given, an answer in the other view (document
        weights where token weights were asked, or the reverse) is recognized.
    slips : sequence of (weights, hint)
        Known mistakes of this exercise: the weights each gives and the sentence naming it.
    hints : sequence of str, optional
        Exercise-specific hints appended to every wrong verdict.

    Returns
    -------
    Verdict
        Recognized mistakes: unreadable answer, missing/unknown domains (and case slips),
        negative weights, percentages, not normalized (the sum is stated), document vs token
        weights, the ``slips``, swapped domains; otherwise the domains that are too high/low.

    Raises
    ------
    ValueError, TypeError
        If ``expected``, ``mean_lengths`` or a slip is invalid (an error in the exercise).

    Used in: exercises of 1.1 (a maths-heavy mixture), 2.2 (doc ↔ token conversion), 2.4, 3.3
    (baselines); the implement-it tasks that return mixtures compare with it too.
    """
    exp = _as_mixture(expected)
    domains = list(exp.domains)
    mistakes: list[Mistake] = []
    if mean_lengths is not None:
        if exp.kind == "token":
            alt = exp.to_documents(mean_lengths).as_array(domains)
            mistakes.append((alt, "These are document weights (each domain's share of documents), but the question "
                             "asks for token weights.",
                             ["Token weights: w_i ∝ w_doc_i · t̄_i (multiply by the mean length), then normalize."]))
        else:
            alt = exp.to_tokens(mean_lengths).as_array(domains)
            mistakes.append((alt, "These are token weights (each domain's share of tokens), but the question asks "
                             "for document weights.",
                             ["Document weights: w_doc_i ∝ w_i / t̄_i (divide by the mean length), then normalize."]))
    for weights, hint in slips:
        alt = _as_mixture(weights, domains).as_array(domains)
        if not close(alt, exp.as_array(), float(atol)):
            mistakes.insert(0, (alt, hint, []))
    return weights_verdict(answer, exp, float(atol), mistakes, hints)


def _temperature_mistakes(counts: pd.DataFrame, T: float | None, alpha: float | None, by: str,
                          e: np.ndarray, domains: list[str], atol: float) -> list[Mistake]:
    """The weights that the usual temperature slips give (those equal to the right answer left out)."""
    from mixlab.mixers import proportional, temperature

    mistakes: list[Mistake] = []

    def add(m: Mixture, message: str, tips: Sequence[str]) -> None:
        arr = m.as_array(domains)
        if not close(arr, e, atol):
            mistakes.append((arr, message, tips))

    if T is not None:
        if not math.isinf(T) and T != 1.0:
            add(temperature(counts, alpha=float(T), by=by),  # type: ignore[arg-type]
                f"You raised the shares to the power T = {T:g}; temperature sampling uses the exponent α = 1/T.",
                [f"w_i ∝ p_i^(1/T): with T = {T:g} the exponent is α = {1 / T:.3g}. Larger T flattens the mixture."])
        if T != 1.0:
            add(proportional(counts, by=by),  # type: ignore[arg-type]
                "These are the natural (proportional) shares, i.e. T = 1.",
                ["Apply the exponent 1/T to each share, then renormalize."])
        if not math.isinf(T):
            add(temperature(counts, T=math.inf, by=by),  # type: ignore[arg-type]
                "This is the uniform mixture, the T → ∞ limit.",
                ["At finite T the larger domains still get more weight."])
        exponent = {"T": T}
    else:
        assert alpha is not None  # temperature() checked exactly one of T / alpha
        a = float(alpha)
        if a not in (0.0, 1.0):
            add(temperature(counts, T=a, by=by),  # type: ignore[arg-type]
                f"You raised the shares to the power 1/α = {1 / a:.3g}; with α given, the exponent is α = {a:g} "
                "itself (α = 1/T).",
                [f"w_i ∝ p_i^α: with α = {a:g} the exponent is {a:g} (T = {1 / a:.3g}). Smaller α flattens "
                 "the mixture."])
        if a != 1.0:
            add(proportional(counts, by=by),  # type: ignore[arg-type]
                "These are the natural (proportional) shares, i.e. α = 1.",
                ["Raise each share to the power α, then renormalize."])
        if a != 0.0:
            add(temperature(counts, alpha=0.0, by=by),  # type: ignore[arg-type]
                "This is the uniform mixture, the α = 0 limit.",
                ["At α > 0 the larger domains still get more weight."])
        exponent = {"alpha": a}
    other = "docs" if by == "tokens" else "tokens"
    if isinstance(counts, pd.DataFrame) and other in counts.columns:
        add(temperature(counts, **exponent, by=other),  # type: ignore[arg-type]
            f"You computed the shares from {'document' if other == 'docs' else 'token'} counts; this question uses "
            f"{'token' if by == 'tokens' else 'document'} counts.",
            [f"p_i = counts['{by}'] / counts['{by}'].sum()."])
    return mistakes


def compare_temperature_weights(
    answer: Any,
    counts: pd.DataFrame,
    T: float | None = None,
    *,
    alpha: float | None = None,
    by: str = "tokens",
    atol: float = 1e-3,
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check temperature-smoothed weights ``w_i ∝ p_i^{1/T} = p_i^α`` computed by the learner.

    Parameters
    ----------
    answer : Mixture, Series, mapping or list in ``counts.index`` order
    counts : pandas.DataFrame
        Counts table; only the column ``by`` is required (the wrong-count diagnosis needs both).
    T : float, optional
        The temperature asked for (> 0; ``math.inf`` allowed). Give exactly one of ``T`` and
        ``alpha``, as for :func:`mixlab.mixers.temperature`.
    alpha : float, optional
        The exponent asked for, ``α = 1/T >= 0`` (the form XLM-R and mT5 state, e.g. α = 0.3).
    by : {"tokens", "docs"}
        Which counts define the natural shares ``p_i``.
    atol : float
        Tolerance on each weight.
    hints : sequence of str, optional

    Returns
    -------
    Verdict
        Besides the :func:`compare_mixture` diagnoses: the exponent and its reciprocal swapped
        (T used as the exponent instead of 1/T, or 1/α instead of α), the natural shares returned
        unchanged (T = α = 1), the uniform mixture (T → ∞, α = 0), and document counts used
        instead of token counts (or the reverse).

    Raises
    ------
    ValueError
        On an invalid ``counts``, ``T``, ``alpha`` or ``by``, or when both or neither of ``T``
        and ``alpha`` are given (errors in the exercise).

    Used in: no lesson directly (the TEMPERATURE implement-it task calls it).
    """
    from mixlab.mixers import temperature

    if by not in ("tokens", "docs"):
        raise ValueError(f"by must be 'tokens' or 'docs' (got {by!r})")
    expected = temperature(counts, T=T, alpha=alpha, by=by)  # type: ignore[arg-type]
    domains = list(expected.domains)
    mistakes = _temperature_mistakes(counts, T, alpha, by, expected.as_array(), domains, float(atol))
    return weights_verdict(answer, expected, float(atol), mistakes, hints)
