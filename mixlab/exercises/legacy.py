"""The first checkers, ``check_number`` and friends, kept for notebooks not yet converted to the registry.

Each is the matching ``compare_*`` function of this package with the legacy rendering
(:class:`~mixlab.exercises.verdicts.LegacyVerdict`: ✅/❌ and Markdown), so the stored outputs
of unconverted notebooks stay identical. A converted notebook calls
:func:`mixlab.exercises.check` instead; the catalogs use the ``compare_*`` functions. When no
notebook imports a ``check_*`` function any more, delete this module and its re-exports.

Used in: the Exercises sections of the notebooks not yet converted (see docs/notebook-guide.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mixlab.exercises.budgets import PerDomain, Sizes, compare_epochs, compare_feasible
from mixlab.exercises.mixtures import compare_mixture, compare_temperature_weights
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.rankings import compare_ranking
from mixlab.exercises.verdicts import LegacyVerdict
from mixlab.mixture import Mixture

__all__ = ["check_number", "check_mixture", "check_temperature_weights", "check_epochs", "check_feasible_answer",
           "check_ranking"]


def check_number(answer: Any, expected: float, *, rtol: float = 1e-2, atol: float = 0.0, what: str = "your answer",
                 unit: str = "", factors: Mapping[str, float] | None = None,
                 hints: Sequence[str] | None = None) -> LegacyVerdict:
    """Legacy form of :func:`~mixlab.exercises.numbers.compare_number` (same parameters, ✅/❌ marks).

    Parameters
    ----------
    answer, expected, rtol, atol, what, unit, factors, hints
        As for :func:`compare_number`.

    Returns
    -------
    LegacyVerdict
        What :func:`compare_number` says, rendered with ✅/❌ as Markdown.

    Raises
    ------
    ValueError
        If ``expected`` is not finite or a tolerance is negative.

    Used in: 00, 1.1–1.5, 2.1, 2.3–2.5, 3.1–3.3, A.1 (until they are converted to the exercise registry).
    """
    return LegacyVerdict.of(compare_number(answer, expected, rtol=rtol, atol=atol, what=what, unit=unit,
                                           factors=factors, hints=hints))


def check_mixture(answer: Any, expected: Mixture | Mapping[str, float], *, atol: float = 1e-3,
                  mean_lengths: pd.Series | Mapping[str, float] | pd.DataFrame | None = None,
                  hints: Sequence[str] | None = None) -> LegacyVerdict:
    """Legacy form of :func:`~mixlab.exercises.mixtures.compare_mixture` (✅/❌ marks).

    Parameters
    ----------
    answer, expected, atol, mean_lengths, hints
        As for :func:`compare_mixture`.

    Returns
    -------
    LegacyVerdict
        What :func:`compare_mixture` says, rendered with ✅/❌ as Markdown.

    Raises
    ------
    ValueError, TypeError
        If ``expected`` or ``mean_lengths`` is invalid.

    Used in: 1.1, 1.3–1.5, 2.1, 2.4, 3.1–3.3 (until they are converted to the exercise registry).
    """
    return LegacyVerdict.of(compare_mixture(answer, expected, atol=atol, mean_lengths=mean_lengths, hints=hints))


def check_temperature_weights(answer: Any, counts: pd.DataFrame, T: float | None = None, *,
                              alpha: float | None = None, by: str = "tokens", atol: float = 1e-3,
                              hints: Sequence[str] | None = None) -> LegacyVerdict:
    """Legacy form of :func:`~mixlab.exercises.mixtures.compare_temperature_weights` (✅/❌ marks).

    Parameters
    ----------
    answer, counts, T, alpha, by, atol, hints
        As for :func:`compare_temperature_weights`.

    Returns
    -------
    LegacyVerdict
        What :func:`compare_temperature_weights` says, rendered with ✅/❌ as Markdown.

    Raises
    ------
    ValueError
        On invalid ``counts``, ``T``, ``alpha`` or ``by``.

    Used in: no lesson now (its last user converted to the exercise registry).
    """
    return LegacyVerdict.of(compare_temperature_weights(answer, counts, T, alpha=alpha, by=by, atol=atol,
                                                        hints=hints))


def check_epochs(answer: Any, mixture: Mixture | pd.Series | Mapping[str, float], budget: float, sizes: Sizes, *,
                 domain: str | None = None, rtol: float = 1e-2, bytes_per_token: PerDomain = None,
                 hints: Sequence[str] | None = None) -> LegacyVerdict:
    """Legacy form of :func:`~mixlab.exercises.budgets.compare_epochs` (✅/❌ marks).

    Parameters
    ----------
    answer, mixture, budget, sizes, domain, rtol, bytes_per_token, hints
        As for :func:`compare_epochs`.

    Returns
    -------
    LegacyVerdict
        What :func:`compare_epochs` says, rendered with ✅/❌ as Markdown.

    Raises
    ------
    ValueError
        On invalid exercise data or an unknown ``domain``.

    Used in: 2.3, 2.5, 3.1–3.3 (until they are converted to the exercise registry).
    """
    return LegacyVerdict.of(compare_epochs(answer, mixture, budget, sizes, domain=domain, rtol=rtol,
                                           bytes_per_token=bytes_per_token, hints=hints))


def check_feasible_answer(answer: Any, sizes: Sizes, budget: float, max_epochs: float, *,
                          bytes_per_token: PerDomain = None, atol: float = 1e-6,
                          hints: Sequence[str] | None = None) -> LegacyVerdict:
    """Legacy form of :func:`~mixlab.exercises.budgets.compare_feasible` (✅/❌ marks).

    Parameters
    ----------
    answer, sizes, budget, max_epochs, bytes_per_token, atol, hints
        As for :func:`compare_feasible`.

    Returns
    -------
    LegacyVerdict
        What :func:`compare_feasible` says, rendered with ✅/❌ as Markdown.

    Raises
    ------
    ValueError
        On invalid sizes, budget or max_epochs.

    Used in: 1.3, 2.5, 3.2 (until they are converted to the exercise registry).
    """
    return LegacyVerdict.of(compare_feasible(answer, sizes, budget, max_epochs, bytes_per_token=bytes_per_token,
                                             atol=atol, hints=hints))


def check_ranking(answer_order: Any, expected_order: Sequence[str], *, what: str = "mixtures",
                  hints: Sequence[str] | None = None) -> LegacyVerdict:
    """Legacy form of :func:`~mixlab.exercises.rankings.compare_ranking` (✅/❌ marks).

    Parameters
    ----------
    answer_order, expected_order, what, hints
        As for :func:`compare_ranking`.

    Returns
    -------
    LegacyVerdict
        What :func:`compare_ranking` says, rendered with ✅/❌ as Markdown.

    Raises
    ------
    ValueError
        If ``expected_order`` is empty or repeats a name.

    Used in: 00, 1.1, 1.3–1.5, 2.1, 2.4, 3.1, 3.3 (until they are converted to the exercise registry).
    """
    return LegacyVerdict.of(compare_ranking(answer_order, expected_order, what=what, hints=hints))
