"""Comparing epochs per domain and feasibility answers under a token budget and a repetition cap.

Epochs ``e_i = w_i B / T_i``: recognized slips are the tokens drawn (``w_i B``), the weight left
out (``B / T_i``), the whole corpus as denominator, the reciprocal, and sizes in bytes not
converted to tokens. Feasibility (``Σ_i min(1, E_max T_i / B) >= 1``): a yes/no answer or a
proposed mixture checked against the caps ``w_i <= E_max T_i / B``.

Used in: exercises of 1.1, 2.5, 3.1, 3.4 (and the ``EPOCHS`` implement-it task compares with
:func:`compare_epochs`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import Unreadable, read_domain_table, read_number, read_yes_no, unreadable
from mixlab.exercises.mixtures import close, gaps
from mixlab.exercises.numbers import number_diagnosis
from mixlab.exercises.verdicts import Verdict, right, wrong
from mixlab.mixture import Mixture

__all__ = ["compare_epochs", "compare_feasible", "epoch_slips"]

Sizes = pd.Series | Mapping[str, float] | pd.DataFrame
PerDomain = float | pd.Series | Mapping[str, float] | None


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


def epoch_slips(mixture: Any, budget: float, sizes: Sizes, domains: Sequence[str],
                bytes_per_token: PerDomain = None) -> list[tuple[np.ndarray, str]]:
    """The per-domain values the usual epoch slips give, each with the sentence naming it.

    Parameters
    ----------
    mixture : Mixture or mapping
        Token weights.
    budget : float
        Token budget B.
    sizes : Series, mapping or counts DataFrame
        Domain sizes (tokens, or bytes with ``bytes_per_token``).
    domains : sequence of str
        Order of the returned values.
    bytes_per_token : float or mapping, optional

    Returns
    -------
    list of (numpy.ndarray, str)
        Tokens drawn, weight left out, whole corpus as denominator, reciprocal (and bytes).

    Used in: :func:`compare_epochs`.
    """
    w = (mixture.weights if isinstance(mixture, Mixture) else pd.Series(dict(mixture), dtype=np.float64)).loc[
        list(domains)]
    T = _sizes_in_tokens(sizes, bytes_per_token).loc[list(domains)]
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
            raw = _sizes_in_tokens(sizes, None).loc[list(domains)]
            slips.append(((w * B / raw).to_numpy(), "You used sizes in bytes: convert them to tokens with "
                          "bytes_per_token first."))
    return slips


def _one_domain(answer: Any, expected: pd.Series, domain: str, slips: list[tuple[np.ndarray, str]], rtol: float,
                hints: Sequence[str] | None) -> Verdict:
    domains = [str(d) for d in expected.index]
    if domain not in domains:
        raise ValueError(f"domain must be one of {', '.join(domains)} (got {domain!r})")
    i = domains.index(domain)
    e = float(expected.iloc[i])
    try:
        a = read_number(answer, f"the epochs of {domain}")
    except Unreadable as exc:
        return unreadable(exc)
    if abs(a - e) <= rtol * abs(e):
        return right(f"{domain} is seen {a:.4g} times (e = w B / T).")
    for vec, text in slips:
        v = float(vec[i])
        if math.isfinite(v) and abs(a - v) <= rtol * abs(v) and not abs(v - e) <= rtol * abs(e):
            return wrong(f"Epochs of {domain} = {a:.6g} is not right.", [text], hints)
    return wrong(f"Epochs of {domain} = {a:.6g} is not right.", number_diagnosis(a, e, rtol), hints)


def _all_domains(answer: Any, expected: pd.Series, slips: list[tuple[np.ndarray, str]], rtol: float,
                 hints: Sequence[str] | None) -> Verdict:
    domains = [str(d) for d in expected.index]
    table = read_domain_table(answer, domains, "epochs per domain")
    if isinstance(table, Verdict):
        return table
    a_vec = table.to_numpy()
    e_vec = expected.to_numpy()
    if close(a_vec, e_vec, 0.0, rtol):
        return right(f"Epochs match for all {len(domains)} domains.")
    for vec, text in slips:
        if np.all(np.isfinite(vec)) and close(a_vec, vec, 0.0, rtol):
            return wrong("Your epochs do not match e_i = w_i B / T_i.", [text], hints)
    off = gaps(a_vec, e_vec, domains, 0.0, rtol)
    return wrong(f"Epochs are off for: {off}.", ["e_i = w_i B / T_i: tokens drawn from the domain over its size."],
                 hints)


def compare_epochs(
    answer: Any,
    mixture: Mixture | pd.Series | Mapping[str, float],
    budget: float,
    sizes: Sizes,
    *,
    domain: str | None = None,
    rtol: float = 1e-2,
    bytes_per_token: PerDomain = None,
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

    Used in: exercises of 1.1 and 3.1 (epochs of books); the ``EPOCHS`` implement-it task
    (:mod:`mixlab.exercises.tasks_mixtures`) compares with it too.
    """
    from mixlab.budget import epochs_from_weights

    expected = epochs_from_weights(mixture, budget, sizes, bytes_per_token=bytes_per_token, on_empty="inf")
    domains = [str(d) for d in expected.index]
    slips = epoch_slips(mixture, budget, sizes, domains, bytes_per_token)
    if domain is not None:
        return _one_domain(answer, expected, domain, slips, rtol, hints)
    return _all_domains(answer, expected, slips, rtol, hints)


def _mixture_within_caps(answer: Any, caps: pd.Series, T: pd.Series, budget: float, max_epochs: float,
                         facts: str, feasible: bool, atol: float, hints: Sequence[str] | None) -> Verdict:
    """A proposed mixture checked against the caps."""
    domains = [str(d) for d in caps.index]
    if isinstance(answer, Mixture) and answer.kind != "token":
        return wrong("Your mixture holds document weights; caps apply to token weights.",
                     ["Convert it with mixture.to_tokens(counts) first."], hints)
    w = read_domain_table(answer, domains, "a mixture")
    if isinstance(w, Verdict):
        return w
    if (w < 0).any():
        return wrong("Weights cannot be negative.", ["w_i ≥ 0 and Σ w_i = 1."], hints)
    total = float(w.sum())
    if abs(total - 1.0) > atol:
        return wrong(f"Your weights sum to {total:.6g}, not 1.", ["Normalize explicitly before checking caps."], hints)
    if not feasible:
        return wrong(f"No mixture can satisfy these caps: {facts}.", ["Raise E_max, lower the budget, or add data."],
                     hints)
    over = w > caps + atol
    if over.any():
        ep = w * float(budget) / T.loc[domains]
        named = ", ".join(f"{d} (w = {w[d]:.3g} > cap {caps[d]:.3g}, {ep[d]:.3g} epochs)" for d in domains if over[d])
        return wrong(f"Over the epoch cap E_max = {float(max_epochs):g}: {named}.",
                     ["Lower those weights to their caps and give the surplus to domains with room "
                      "(or project with mixlab.budget.project_capped_simplex)."], hints)
    return right(f"Your mixture keeps every domain within E_max = {float(max_epochs):g} epochs.")


def compare_feasible(
    answer: Any,
    sizes: Sizes,
    budget: float,
    max_epochs: float,
    *,
    bytes_per_token: PerDomain = None,
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
        ✓ when the yes/no is right or the mixture keeps every domain within its cap; else the
        caps' facts (Σ u_i, E_max Σ T_i against B) or the domains over their caps.

    Raises
    ------
    ValueError
        On invalid exercise data (sizes, budget, max_epochs).

    Used in: exercises of 2.5 (feasibility, a repaired mixture), 3.4 (hand-tuned weights within caps).
    """
    from mixlab.budget import caps_from_epochs

    caps = caps_from_epochs(sizes, budget, max_epochs, bytes_per_token=bytes_per_token)
    total_caps = float(caps.sum())
    feasible = total_caps >= 1.0 - 1e-12
    T = _sizes_in_tokens(sizes, bytes_per_token)
    capacity = float(max_epochs) * float(T.sum())
    facts = (f"E_max × Σ T_i = {capacity:.4g} tokens {'≥' if feasible else '<'} B = {float(budget):.4g} "
             f"(caps sum to {total_caps:.3g})")
    if not (isinstance(answer, bool | np.bool_ | str) or answer is None or answer is Ellipsis):
        return _mixture_within_caps(answer, caps, T, budget, max_epochs, facts, feasible, atol, hints)
    try:
        said = read_yes_no(answer)
    except Unreadable as exc:
        return unreadable(exc)
    if said == feasible:
        return right(f"It is {'feasible' if feasible else 'infeasible'}: {facts}.")
    tips = ["Compute each cap u_i = min(1, E_max T_i / B) and add them up: feasible iff Σ u_i ≥ 1 "
            "(equivalently E_max Σ T_i ≥ B)."]
    if said and not feasible:
        tips.append("Even repeating every domain E_max times does not supply B tokens.")
    else:
        tips.append("One small domain hitting its cap does not make the problem infeasible: the other domains "
                    "can take the remaining weight.")
    return wrong(f"You said {'feasible' if said else 'infeasible'}; check again.", tips, hints)
