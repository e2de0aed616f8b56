"""Comparing an ordering of names (best first) with the expected one.

Recognized: missing, unknown or repeated names, the order reversed (worst first), one adjacent
pair swapped; otherwise how many leading places are right and Spearman's ρ between the orders
(computed with :func:`mixlab.agreement.rank_agreement`).

Used in: no lesson's exercise at present; docs/notebook-guide.md describes it for catalog authors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mixlab.exercises.answers import Unreadable, domain_problem, read_names, unreadable
from mixlab.exercises.verdicts import Verdict, right, wrong

__all__ = ["compare_ranking"]


def compare_ranking(
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

    Used in: no lesson's exercise at present; ready for a "rank these mixtures" question.
    """
    exp = [str(x) for x in expected_order]
    if not exp or len(set(exp)) != len(exp):
        raise ValueError(f"expected_order must be non-empty without repeats (got {exp})")
    try:
        got = read_names(answer_order, what)
    except Unreadable as exc:
        return unreadable(exc)
    dups = sorted({x for x in got if got.count(x) > 1})
    if dups:
        return wrong(f"Each of the {what} should appear once (repeated: {', '.join(dups)}).", [], hints)
    names = domain_problem(got, exp)
    if names is not None:
        return wrong(names.message.replace("domains", what), [f"The {what} to rank are: {', '.join(sorted(exp))}."],
                     hints)
    if got == exp:
        return right(f"All {len(exp)} {what} are in the right order.")
    if got == exp[::-1] and len(exp) > 1:
        return wrong("Your order is exactly reversed.", ["Best first: for losses, the lowest loss comes first."], hints)
    diff = [i for i in range(len(exp)) if got[i] != exp[i]]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        i = diff[0]
        return wrong(f"Almost: places {i + 1} and {i + 2} ({got[i]}, {got[i + 1]}) are swapped.",
                     ["Compare those two closely: the gap between them may be small."], hints)
    from mixlab.agreement import rank_agreement

    pos = {n: i for i, n in enumerate(exp)}
    rho = rank_agreement(list(range(len(got))), [pos[n] for n in got]).spearman  # n >= 3 here
    lead = diff[0]
    start = (f"The first {lead} place{'s are' if lead != 1 else ' is'} right; from place {lead + 1} on the order "
             "differs" if lead else "Your order differs from the first place on")
    return wrong(f"{start} (Spearman ρ between your order and the right one: {rho:.2f}).",
                 ["Sort by the quantity asked for, e.g. losses.sort_values().index."], hints)
