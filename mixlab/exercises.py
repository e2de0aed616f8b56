""""Check yourself": checkers a learner calls on an exercise answer, and collapsible solutions.

Every checker returns a :class:`Verdict` (``ok``, ``message``, ``hints``) that displays as ✅ or
❌ with an explanation. A checker never raises on a wrong answer: it looks for the usual
mistakes (percent instead of fractions, weights not normalized, document weights where token
weights were asked, swapped domains, ``T`` used where ``1/T`` belongs, a result off by a factor
of 100 or k, a reciprocal) and says which one it sees, without giving the expected numbers
away. An answer it cannot interpret (``None``, ``...``, a string where a number belongs)
gets ``"could not read your answer: …"``. Errors in the *exercise* (the expected value or the
data passed by the notebook) still raise, as everywhere in mixlab.

Solutions live in notebook cells tagged ``solution``; :func:`reveal` wraps a prose solution
in a collapsible ``<details>`` block.

Used in: the Exercises section of every notebook (1.1–3.6, A.1).
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture

__all__ = [
    "Verdict",
    "Reveal",
    "reveal",
    "check_mixture",
    "check_number",
    "check_epochs",
    "check_feasible_answer",
    "check_temperature_weights",
    "check_ranking",
]


# ============================================================================ Verdict
@dataclass(frozen=True)
class Verdict:
    """The result of checking an answer.

    Attributes
    ----------
    ok : bool
        True when the answer is right. ``bool(verdict)`` is the same.
    message : str
        One or two sentences on what was found.
    hints : list of str
        What to look at next (empty for a right answer).

    Used in: every "check yourself" cell.
    """

    ok: bool
    message: str
    hints: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        head = "✅ Correct. " if self.ok else "❌ Not yet. "
        lines = [head + self.message]
        lines += [f"  hint: {h}" for h in self.hints]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        head = "✅ **Correct.** " if self.ok else "❌ **Not yet.** "
        text = head + _md(self.message)
        if self.hints:
            text += "\n\n" + "\n".join(f"- *Hint:* {_md(h)}" for h in self.hints)
        return text


def _md(text: str) -> str:
    """Escape HTML and the Markdown emphasis characters (``*``, ``_``) of a plain-text message."""
    return html.escape(text, quote=False).replace("*", "\\*").replace("_", "\\_")


def _right(message: str) -> Verdict:
    return Verdict(True, message, [])


def _wrong(message: str, hints: Sequence[str] = (), extra: Sequence[str] | None = None) -> Verdict:
    out = [h for h in hints if h]
    out += [h for h in (extra or ()) if h and h not in out]
    return Verdict(False, message, out)


class _Unreadable(Exception):
    """The learner's answer cannot be interpreted (turned into a Verdict, never raised to the user)."""


def _unreadable(exc: _Unreadable) -> Verdict:
    return Verdict(False, f"could not read your answer: {exc}", [])


# ============================================================================ reading answers
def _placeholder(answer: Any) -> None:
    if answer is None:
        raise _Unreadable("it is None — did the cell assign your result (or does your function `return` it)?")
    if answer is Ellipsis:
        raise _Unreadable("it is still the placeholder `...`; replace it with your answer")


def _read_number(answer: Any, name: str | None = None) -> float:
    """A finite float from the answer; ``name`` names the entry inside a larger answer."""
    _placeholder(answer)
    subject = name or "it"
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.reshape(()).item()
    if isinstance(answer, pd.Series) and answer.size == 1:
        answer = answer.iloc[0]
    if isinstance(answer, str):
        raise _Unreadable(f"{subject} is the text {answer!r}; give a number (without quotes)")
    if isinstance(answer, bool | np.bool_) or not isinstance(answer, numbers.Real):
        where = f" for {name}" if name else ""
        raise _Unreadable(f"expected a number{where}, got {type(answer).__name__} {answer!r}")
    v = float(answer)
    if math.isnan(v):
        raise _Unreadable(f"{subject} is NaN (a 0/0 somewhere?)")
    if math.isinf(v):
        raise _Unreadable(f"{subject} is infinite (a division by zero somewhere?)")
    return v


def _read_table(answer: Any, domains: Sequence[str], what: str) -> pd.Series:
    """Read per-domain numbers from a Mixture, Series, mapping, one-column DataFrame or a plain list in domain order."""
    _placeholder(answer)
    if isinstance(answer, Mixture):
        pairs: list[tuple[Any, Any]] = answer.items()
    elif isinstance(answer, pd.DataFrame):
        if answer.shape[1] != 1:
            raise _Unreadable(f"got a table with columns {list(answer.columns)}; give one number per domain")
        pairs = list(answer.iloc[:, 0].items())
    elif isinstance(answer, pd.Series):
        pairs = list(answer.items())
    elif isinstance(answer, Mapping):
        pairs = list(answer.items())
    elif isinstance(answer, str | bytes) or isinstance(answer, numbers.Number):
        raise _Unreadable(f"expected {what} (one number per domain, e.g. a dict), got {type(answer).__name__} "
                          f"{answer!r}")
    else:
        try:
            values = list(answer)
        except TypeError:
            raise _Unreadable(f"expected {what} (e.g. a dict domain → value), got {type(answer).__name__}") from None
        if len(values) != len(domains):
            raise _Unreadable(f"got {len(values)} numbers for {len(domains)} domains ({', '.join(domains)}); "
                              "a dict {domain: value} is clearer than a list")
        pairs = list(zip(domains, values, strict=True))
    names = [k if isinstance(k, str) else str(k) for k, _ in pairs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise _Unreadable(f"domain names repeat: {', '.join(dup)}")
    vals = []
    for n, (_, v) in zip(names, pairs, strict=True):
        vals.append(_read_number(v, f"the value for {n!r}"))
    return pd.Series(vals, index=pd.Index(names, name="domain"), dtype=np.float64)


def _domain_problem(got: Sequence[str], expected: Sequence[str]) -> Verdict | None:
    """A Verdict about missing/unknown domains, or None when the names match."""
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
    return _wrong(f"Your answer does not name the right domains ({'; '.join(parts)}).", hints)


def _close(a: np.ndarray, b: np.ndarray, atol: float, rtol: float = 0.0) -> bool:
    return bool(a.shape == b.shape and np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _gaps(a: np.ndarray, e: np.ndarray, domains: Sequence[str], atol: float, rtol: float = 0.0, top: int = 3) -> str:
    """'web (too high), code (too low)' for the entries off by more than the tolerance, largest first."""
    diff = a - e
    off = np.abs(diff) > atol + rtol * np.abs(e)
    order = [i for i in np.argsort(-np.abs(diff), kind="stable") if off[i]][:top]
    return ", ".join(f"{domains[i]} ({'too high' if diff[i] > 0 else 'too low'})" for i in order)


# ============================================================================ mixtures
def _expected_mixture(expected: Any) -> Mixture:
    if isinstance(expected, Mixture):
        return expected
    return Mixture(expected)


def _weights_verdict(
    answer: Any,
    expected: Mixture,
    atol: float,
    mistakes: Sequence[tuple[np.ndarray, str, Sequence[str]]],
    hints: Sequence[str] | None,
    what: str = "mixture weights",
) -> Verdict:
    """Shared core of the mixture checkers: read, names, sign, scale, normalization, known mistakes, swaps."""
    domains = list(expected.domains)
    try:
        table = _read_table(answer, domains, what)
    except _Unreadable as exc:
        return _unreadable(exc)
    bad_names = _domain_problem(list(table.index), domains)
    if bad_names is not None:
        return bad_names
    a = table.loc[domains].to_numpy()
    e = expected.as_array()
    k = len(domains)
    if (a < 0).any():
        neg = ", ".join(f"{d}={v:g}" for d, v in zip(domains, a, strict=True) if v < 0)
        return _wrong(f"Weights cannot be negative ({neg}).",
                      ["A mixture lives on the simplex: w_i >= 0 and Σ w_i = 1."], hints)
    kind_hint: list[str] = []
    if isinstance(answer, Mixture) and answer.kind != expected.kind:
        kind_hint = [f"Your Mixture has kind={answer.kind!r}, the question asks for {expected.kind} weights."]
        if _close(a, e, atol):
            return _wrong(f"The numbers match, but your Mixture holds {answer.kind} weights and the question asks "
                          f"for {expected.kind} weights — the same numbers mean a different mixture.",
                          [f"Build it with kind={expected.kind!r} (equal document shares and equal token shares "
                           "are different mixtures)."], hints)
    if _close(a, e, atol):
        return _right(f"All {k} weights match within {atol:g}.")
    total = float(a.sum())
    if total > 0 and abs(total - 100.0) <= 100.0 * max(atol * k, 1e-6) and _close(a / 100.0, e, atol):
        return _wrong("These look like percentages: your weights sum to 100.",
                      ["The course writes weights as fractions that sum to 1 — divide by 100."], hints)
    if total <= 0:
        return _wrong("Every weight is 0, so this is not a mixture.", ["At least one weight must be positive."], hints)
    normalized = a / total
    not_normalized = abs(total - 1.0) > max(atol, 1e-6)
    if not_normalized and _close(normalized, e, atol):
        return _wrong(f"Right proportions, but the weights sum to {total:.6g}, not 1.",
                      ["Normalize explicitly: divide every weight by the sum (Mixture.normalized does this)."], hints)
    sum_note = f" (they also sum to {total:.6g}, not 1)" if not_normalized else ""
    sum_hint = ["Weights must sum to 1: normalize explicitly."] if not_normalized else []
    for alt, message, alt_hints in mistakes:
        if _close(normalized, alt, atol):
            return _wrong(message + sum_note, [*alt_hints, *sum_hint, *kind_hint], hints)
    # swapped domains: the right numbers attached to the wrong names
    if _close(np.sort(normalized), np.sort(e), atol):
        wrong_idx = [i for i in range(k) if abs(normalized[i] - e[i]) > atol]
        positional = not isinstance(answer, Mixture | Mapping | pd.Series | pd.DataFrame)
        order_hint = [f"A plain list is read in the order {', '.join(domains)}; a dict {{domain: weight}} avoids "
                      "this."] if positional else []
        if len(wrong_idx) == 2:
            i, j = wrong_idx
            return _wrong(f"The weights of {domains[i]} and {domains[j]} look swapped{sum_note}.",
                          [*order_hint, *sum_hint], hints)
        return _wrong(f"You have the right numbers on the wrong domains ({', '.join(domains[i] for i in wrong_idx)})"
                      f"{sum_note}.", ["Check which weight belongs to which domain.", *order_hint, *sum_hint], hints)
    gaps = _gaps(normalized, e, domains, atol)
    n_off = int(np.sum(np.abs(normalized - e) > atol))
    return _wrong(f"{n_off} of {k} weights are off by more than {atol:g}: {gaps}{sum_note}.",
                  [*sum_hint, *kind_hint, "Recompute step by step and print the intermediate table."], hints)


def check_mixture(
    answer: Any,
    expected: Mixture | Mapping[str, float],
    *,
    atol: float = 1e-3,
    mean_lengths: pd.Series | Mapping[str, float] | pd.DataFrame | None = None,
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check a mixture given as an answer against the expected one, diagnosing common mistakes.

    Parameters
    ----------
    answer : Mixture, Series, mapping domain → weight, or a list in ``expected.domains`` order
        The learner's weights.
    expected : Mixture or mapping on the simplex
        The right answer (its ``kind`` says whether token or document weights were asked).
    atol : float
        Tolerance on each weight.
    mean_lengths : Series, mapping or counts DataFrame, optional
        Mean document length per domain. When given, an answer in the other view (document
        weights where token weights were asked, or the reverse) is recognized.
    hints : sequence of str, optional
        Exercise-specific hints appended to every wrong verdict.

    Returns
    -------
    Verdict
        Recognized mistakes: unreadable answer, missing/unknown domains (and case slips),
        negative weights, percentages, not normalized (the sum is stated), document vs token
        weights, swapped domains; otherwise the domains that are too high/low.

    Raises
    ------
    ValueError, TypeError
        If ``expected`` or ``mean_lengths`` is invalid (an error in the exercise, not the answer).

    Used in: exercises of 2.2 (doc ↔ token conversion), 3.1–3.5 (baselines).
    """
    exp = _expected_mixture(expected)
    mistakes: list[tuple[np.ndarray, str, Sequence[str]]] = []
    if mean_lengths is not None:
        if exp.kind == "token":
            alt = exp.to_documents(mean_lengths).as_array(list(exp.domains))
            mistakes.append((alt, "These are document weights (each domain's share of documents), but the question "
                             "asks for token weights.",
                             ["Token weights: w_i ∝ w_doc_i · t̄_i (multiply by the mean length), then normalize."]))
        else:
            alt = exp.to_tokens(mean_lengths).as_array(list(exp.domains))
            mistakes.append((alt, "These are token weights (each domain's share of tokens), but the question asks "
                             "for document weights.",
                             ["Document weights: w_doc_i ∝ w_i / t̄_i (divide by the mean length), then normalize."]))
    return _weights_verdict(answer, exp, float(atol), mistakes, hints)


def check_temperature_weights(
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
        Besides the :func:`check_mixture` diagnoses: the exponent and its reciprocal swapped
        (T used as the exponent instead of 1/T, or 1/α instead of α), the natural shares returned
        unchanged (T = α = 1), the uniform mixture (T → ∞, α = 0), and document counts used
        instead of token counts (or the reverse).

    Raises
    ------
    ValueError
        On an invalid ``counts``, ``T``, ``alpha`` or ``by``, or when both or neither of ``T``
        and ``alpha`` are given (errors in the exercise).

    Used in: exercises of 3.5 (temperature-smoothed mixtures).
    """
    from mixlab.mixers import proportional, temperature

    if by not in ("tokens", "docs"):
        raise ValueError(f"by must be 'tokens' or 'docs' (got {by!r})")
    expected = temperature(counts, T=T, alpha=alpha, by=by)  # type: ignore[arg-type]
    domains = list(expected.domains)
    e = expected.as_array()
    mistakes: list[tuple[np.ndarray, str, Sequence[str]]] = []

    def add(m: Mixture, message: str, tips: Sequence[str]) -> None:
        arr = m.as_array(domains)
        if not _close(arr, e, atol):
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
        assert alpha is not None  # temperature() above checked exactly one of T / alpha
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
    return _weights_verdict(answer, expected, float(atol), mistakes, hints)


# ============================================================================ numbers
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


def _number_diagnosis(a: float, e: float, rtol: float, factors: Mapping[str, float] | None) -> list[str]:
    """Hints for a wrong number: sign, scale slips, reciprocal, named factors, small integer factors."""
    if e == 0:
        return ["The expected value is 0."]

    def near(x: float, y: float) -> bool:
        return abs(x - y) <= rtol * abs(y)

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


def check_number(
    answer: Any,
    expected: float,
    *,
    rtol: float = 1e-2,
    atol: float = 0.0,
    what: str = "your answer",
    unit: str = "",
    factors: Mapping[str, float] | None = None,
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check a number within a relative (and absolute) tolerance, with hints for off-by-factor errors.

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
    hints : sequence of str, optional
        Exercise-specific hints appended to a wrong verdict.

    Returns
    -------
    Verdict
        Recognized slips: sign flipped, ×100 / ÷100 (percent vs fraction), ×10³/10⁶/10⁹ unit
        slips, reciprocal, named factors, small integer factors (2…12); otherwise how far off
        (in percent). The expected value is not revealed.

    Raises
    ------
    ValueError
        If ``expected`` is not finite or a tolerance is negative.

    Used in: exercises of every notebook (budgets, epochs, rates, losses).
    """
    e = float(expected)
    if not math.isfinite(e):
        raise ValueError(f"expected must be finite (got {expected!r})")
    if rtol < 0 or atol < 0:
        raise ValueError(f"tolerances must be >= 0 (got rtol={rtol!r}, atol={atol!r})")
    try:
        a = _read_number(answer)
    except _Unreadable as exc:
        return _unreadable(exc)
    u = f" {unit}" if unit else ""
    subject = what[:1].upper() + what[1:]
    if abs(a - e) <= max(atol, rtol * abs(e)):
        return _right(f"{subject} = {a:.6g}{u}.")
    tol = f"{rtol * 100:.3g}%" if rtol * abs(e) >= atol else f"±{atol:.3g}"
    return _wrong(f"{subject} = {a:.6g}{u} is not within {tol} of the expected value.",
                  _number_diagnosis(a, e, max(rtol, 1e-9), factors), hints)


# ============================================================================ epochs and feasibility
def _sizes_in_tokens(sizes: Any, bytes_per_token: Any) -> pd.Series:
    """Domain sizes in tokens (sizes already validated by a mixlab.budget call)."""
    if isinstance(sizes, pd.DataFrame):
        s = sizes["tokens"].astype(np.float64)
    elif isinstance(sizes, pd.Series):
        s = sizes.astype(np.float64)
    else:
        s = pd.Series(dict(sizes), dtype=np.float64)
    if bytes_per_token is not None:
        if isinstance(bytes_per_token, numbers.Real):
            s = s / float(bytes_per_token)
        else:
            s = s / pd.Series(dict(bytes_per_token), dtype=np.float64).loc[s.index]
    return s


def check_epochs(
    answer: Any,
    mixture: Mixture | pd.Series | Mapping[str, float],
    budget: float,
    sizes: pd.Series | Mapping[str, float] | pd.DataFrame,
    *,
    domain: str | None = None,
    rtol: float = 1e-2,
    bytes_per_token: float | pd.Series | Mapping[str, float] | None = None,
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check epochs per domain ``e_i = w_i B / T_i`` (all domains, or one with ``domain=``).

    Parameters
    ----------
    answer : mapping/Series domain → epochs, or one number when ``domain`` is given
    mixture : token-kind Mixture or weights on the simplex
    budget : float
        Token budget B.
    sizes : Series/mapping or counts DataFrame
        Domain sizes ``T_i`` (tokens, or bytes with ``bytes_per_token``).
    domain : str, optional
        Check a single domain's epochs.
    rtol : float
        Relative tolerance.
    bytes_per_token : float or per-domain mapping, optional
        Converts byte sizes to tokens (as in :func:`mixlab.budget.epochs_from_weights`).
    hints : sequence of str, optional

    Returns
    -------
    Verdict
        Recognized slips: tokens drawn ``w_i B`` instead of epochs, the weight forgotten
        (``B / T_i``), the whole corpus used as the denominator (``w_i B / Σ T``), the
        reciprocal (``T_i / (w_i B)``), sizes in bytes not converted to tokens.

    Raises
    ------
    ValueError
        On invalid exercise data (mixture, budget, sizes) or an unknown ``domain``.

    Used in: exercises of 2.5 (token budget), 3.2 (epochs explode), 3.5.
    """
    from mixlab.budget import epochs_from_weights

    expected = epochs_from_weights(mixture, budget, sizes, bytes_per_token=bytes_per_token, on_empty="inf")
    domains = [str(d) for d in expected.index]
    w = (mixture.weights if isinstance(mixture, Mixture) else pd.Series(dict(mixture), dtype=np.float64)).loc[domains]
    T = _sizes_in_tokens(sizes, bytes_per_token).loc[domains]
    B = float(budget)
    with np.errstate(divide="ignore", invalid="ignore"):
        slips: list[tuple[np.ndarray, str]] = [
            ((w * B).to_numpy(), "These are the tokens drawn from each domain (w_i B), not epochs: divide by the "
             "domain's size T_i."),
            ((B / T).to_numpy(), "You left out the weight: epochs are e_i = w_i B / T_i."),
            ((w * B / float(T.sum())).to_numpy(), "You divided by the size of the whole corpus; each domain's "
             "epochs use its own size T_i."),
            ((T / (w * B)).to_numpy(), "You computed the reciprocal: epochs are w_i B / T_i (tokens drawn over "
             "tokens available)."),
        ]
        if bytes_per_token is not None:
            raw = _sizes_in_tokens(sizes, None).loc[domains]
            slips.append(((w * B / raw).to_numpy(), "You used sizes in bytes: convert them to tokens with "
                          "bytes_per_token first."))
    if domain is not None:
        if domain not in domains:
            raise ValueError(f"unknown domain {domain!r} (domains: {', '.join(domains)})")
        i = domains.index(domain)
        e = float(expected.iloc[i])
        try:
            a = _read_number(answer, f"the epochs of {domain}")
        except _Unreadable as exc:
            return _unreadable(exc)
        if abs(a - e) <= rtol * abs(e):
            return _right(f"{domain} is seen {a:.4g} times (e = w B / T).")
        for vec, text in slips:
            v = float(vec[i])
            if math.isfinite(v) and abs(a - v) <= rtol * abs(v) and not abs(v - e) <= rtol * abs(e):
                return _wrong(f"Epochs of {domain} = {a:.6g} is not right.", [text], hints)
        return _wrong(f"Epochs of {domain} = {a:.6g} is not right.", _number_diagnosis(a, e, rtol, None), hints)
    try:
        table = _read_table(answer, domains, "epochs per domain")
    except _Unreadable as exc:
        return _unreadable(exc)
    bad = _domain_problem(list(table.index), domains)
    if bad is not None:
        return bad
    a_vec = table.loc[domains].to_numpy()
    e_vec = expected.to_numpy()
    if _close(a_vec, e_vec, 0.0, rtol):
        return _right(f"Epochs match for all {len(domains)} domains.")
    for vec, text in slips:
        if np.all(np.isfinite(vec)) and _close(a_vec, vec, 0.0, rtol):
            return _wrong("Your epochs do not match e_i = w_i B / T_i.", [text], hints)
    gaps = _gaps(a_vec, e_vec, domains, 0.0, rtol)
    return _wrong(f"Epochs are off for: {gaps}.", ["e_i = w_i B / T_i: tokens drawn from the domain over its size."],
                  hints)


def _read_yes_no(answer: Any) -> bool:
    _placeholder(answer)
    if isinstance(answer, bool | np.bool_):
        return bool(answer)
    if isinstance(answer, str):
        t = answer.strip().lower()
        if t in ("yes", "y", "true", "feasible"):
            return True
        if t in ("no", "n", "false", "infeasible", "not feasible"):
            return False
    raise _Unreadable(f"expected True/False (feasible or not) or a mixture, got {type(answer).__name__} {answer!r}")


def check_feasible_answer(
    answer: Any,
    sizes: pd.Series | Mapping[str, float] | pd.DataFrame,
    budget: float,
    max_epochs: float,
    *,
    bytes_per_token: float | pd.Series | Mapping[str, float] | None = None,
    atol: float = 1e-6,
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check a feasibility answer: a yes/no ("is budget B reachable under E_max?") or a proposed mixture.

    The problem is feasible iff ``Σ_i min(1, E_max T_i / B) >= 1`` (equivalently ``E_max Σ T_i >= B``).

    Parameters
    ----------
    answer : bool, "yes"/"no", or a mixture (Mixture, mapping, Series)
        A bool answers "is it feasible?"; a mixture is checked against the caps
        ``w_i <= E_max T_i / B`` (and must sum to 1 within ``atol``).
    sizes : Series/mapping or counts DataFrame
        Domain sizes (tokens, or bytes with ``bytes_per_token``).
    budget : float
        Token budget B.
    max_epochs : float
        Repetition cap E_max.
    bytes_per_token : optional
        Converts byte sizes to tokens.
    atol : float
        Tolerance on the mixture's sum and on the caps.
    hints : sequence of str, optional

    Returns
    -------
    Verdict

    Raises
    ------
    ValueError
        On invalid exercise data (sizes, budget, max_epochs).

    Used in: exercises of 2.5 (feasibility), 3.2, 3.4 (hand-tuned weights within caps).
    """
    from mixlab.budget import caps_from_epochs

    caps = caps_from_epochs(sizes, budget, max_epochs, bytes_per_token=bytes_per_token)
    domains = [str(d) for d in caps.index]
    total_caps = float(caps.sum())
    feasible = total_caps >= 1.0 - 1e-12
    T = _sizes_in_tokens(sizes, bytes_per_token)
    capacity = float(max_epochs) * float(T.sum())
    facts = (f"E_max × Σ T_i = {capacity:.4g} tokens {'≥' if feasible else '<'} B = {float(budget):.4g} "
             f"(caps sum to {total_caps:.3g})")
    if isinstance(answer, bool | np.bool_ | str) or answer is None or answer is Ellipsis:
        try:
            said = _read_yes_no(answer)
        except _Unreadable as exc:
            return _unreadable(exc)
        if said == feasible:
            return _right(f"It is {'feasible' if feasible else 'infeasible'}: {facts}.")
        tips = ["Compute each cap u_i = min(1, E_max T_i / B) and add them up: feasible iff Σ u_i ≥ 1 "
                "(equivalently E_max Σ T_i ≥ B)."]
        if said and not feasible:
            tips.append("Even repeating every domain E_max times does not supply B tokens.")
        else:
            tips.append("One small domain hitting its cap does not make the problem infeasible: the other domains "
                        "can take the remaining weight.")
        return _wrong(f"You said {'feasible' if said else 'infeasible'}; check again.", tips, hints)
    # a proposed mixture
    if isinstance(answer, Mixture) and answer.kind != "token":
        return _wrong("Your mixture holds document weights; caps apply to token weights.",
                      ["Convert it with mixture.to_tokens(counts) first."], hints)
    try:
        table = _read_table(answer, domains, "a mixture")
    except _Unreadable as exc:
        return _unreadable(exc)
    bad = _domain_problem(list(table.index), domains)
    if bad is not None:
        return bad
    w = table.loc[domains]
    if (w < 0).any():
        return _wrong("Weights cannot be negative.", ["w_i ≥ 0 and Σ w_i = 1."], hints)
    total = float(w.sum())
    if abs(total - 1.0) > atol:
        return _wrong(f"Your weights sum to {total:.6g}, not 1.", ["Normalize explicitly before checking caps."],
                      hints)
    if not feasible:
        return _wrong(f"No mixture can satisfy these caps: {facts}.",
                      ["Raise E_max, lower the budget, or add data."], hints)
    over = w > caps + atol
    if over.any():
        ep = w * float(budget) / T.loc[domains]
        named = ", ".join(f"{d} (w = {w[d]:.3g} > cap {caps[d]:.3g}, {ep[d]:.3g} epochs)" for d in domains if over[d])
        return _wrong(f"Over the epoch cap E_max = {float(max_epochs):g}: {named}.",
                      ["Lower those weights to their caps and give the surplus to domains with room "
                       "(or project with mixlab.budget.project_capped_simplex)."], hints)
    return _right(f"Your mixture keeps every domain within E_max = {float(max_epochs):g} epochs.")


# ============================================================================ rankings
def check_ranking(
    answer_order: Any,
    expected_order: Sequence[str],
    *,
    what: str = "mixtures",
    hints: Sequence[str] | None = None,
) -> Verdict:
    """Check an ordering of names (best first), e.g. candidate mixtures ranked by proxy loss.

    Parameters
    ----------
    answer_order : sequence of str (list, tuple, pandas Index)
        The learner's order, best first.
    expected_order : sequence of str
        The right order, best first.
    what : str
        What is being ranked (for messages).
    hints : sequence of str, optional

    Returns
    -------
    Verdict
        Recognized: missing/unknown/repeated names, the order reversed (worst first), one
        adjacent pair swapped; otherwise how many leading places are right and Spearman's ρ
        between the two orders.

    Raises
    ------
    ValueError
        If ``expected_order`` is empty or repeats a name.

    Used in: exercises of 1.3, 1.4 (rank agreement), 3.6 (baselines side by side).
    """
    from mixlab.plots import spearman

    exp = [str(x) for x in expected_order]
    if not exp or len(set(exp)) != len(exp):
        raise ValueError(f"expected_order must be non-empty without repeats (got {exp})")
    try:
        _placeholder(answer_order)
        if isinstance(answer_order, str | bytes) or isinstance(answer_order, Mapping):
            raise _Unreadable(f"expected a list of {what} in order, got {type(answer_order).__name__}")
        try:
            got = list(answer_order)
        except TypeError:
            raise _Unreadable(f"expected a list of {what} in order, got {type(answer_order).__name__}") from None
        bad = [x for x in got if not isinstance(x, str)]
        if bad:
            raise _Unreadable(f"expected names of {what} (strings), got {bad[:3]!r}")
    except _Unreadable as exc:
        return _unreadable(exc)
    dups = sorted({x for x in got if got.count(x) > 1})
    if dups:
        return _wrong(f"Each of the {what} should appear once (repeated: {', '.join(dups)}).", [], hints)
    names = _domain_problem(got, exp)
    if names is not None:
        return _wrong(names.message.replace("domains", what), [f"The {what} to rank are: {', '.join(sorted(exp))}."],
                      hints)
    if got == exp:
        return _right(f"All {len(exp)} {what} are in the right order.")
    if got == exp[::-1] and len(exp) > 1:
        return _wrong("Your order is exactly reversed.", ["Best first: for losses, the lowest loss comes first."],
                      hints)
    pos = {n: i for i, n in enumerate(exp)}
    rho = spearman(list(range(len(got))), [pos[n] for n in got])
    diff = [i for i in range(len(exp)) if got[i] != exp[i]]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        i = diff[0]
        return _wrong(f"Almost: places {i + 1} and {i + 2} ({got[i]}, {got[i + 1]}) are swapped.",
                      ["Compare those two closely: the gap between them may be small."], hints)
    lead = diff[0]
    start = (f"The first {lead} place{'s are' if lead != 1 else ' is'} right; from place {lead + 1} on the order "
             "differs" if lead else "Your order differs from the first place on")
    return _wrong(f"{start} (Spearman ρ between your order and the right one: {rho:.2f}).",
                  ["Sort by the quantity asked for, e.g. losses.sort_values().index."], hints)


# ============================================================================ solutions
@dataclass(frozen=True)
class Reveal:
    """A collapsible block shown as ``<details><summary>…</summary>…</details>`` in Jupyter.

    Attributes
    ----------
    text : str
        Markdown (prose, formulas) shown when expanded.
    summary : str
        The clickable line.

    Used in: Exercises sections (prose solutions).
    """

    text: str
    summary: str = "Show solution"

    def _repr_markdown_(self) -> str:
        return f"<details>\n<summary>{html.escape(self.summary)}</summary>\n\n{self.text}\n\n</details>"

    def __repr__(self) -> str:
        return f"[{self.summary}: hidden — expand it in Jupyter]"


def reveal(text: str, summary: str = "Show solution") -> Reveal:
    """Wrap a prose solution in a collapsible block (collapsed until the learner clicks it).

    Parameters
    ----------
    text : str
        Markdown text of the solution.
    summary : str
        The line shown while collapsed.

    Returns
    -------
    Reveal
        Displays as ``<details><summary>Show solution</summary>…</details>``.

    Raises
    ------
    TypeError
        If ``text`` or ``summary`` is not a string.

    Used in: Exercises sections of every notebook.
    """
    if not isinstance(text, str) or not isinstance(summary, str):
        raise TypeError(f"reveal needs strings (got {type(text).__name__}, {type(summary).__name__})")
    return Reveal(text, summary)
