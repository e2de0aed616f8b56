"""Exercises of 3.3 (source-proportional): one prediction, one function to write, two values to compute.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``), never typed, except the prediction's letter: it comes from 20 proxy runs (the course's
``PROXY`` on sampling seeds 0–9), which the notebook must not pay for twice, so the letter is
written down and :func:`starving_domains_outcome` recomputes it in the tests
(tests/test_exercises_catalog_budgets.py), which fail if the data ever disagree with it.

Used in: 3.3.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.mixtures import compare_mixture
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_baselines import BINDING_BUDGETS
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

SECTION = "3.3"

#: Sampling seeds of the notebook's proxy runs (section 5).
SEEDS = tuple(range(10))
#: The three domains of the sub-corpus exercise.
TRIO = ("code", "math", "books")
#: Web's share of the tokens in the crawl-growth exercise.
WEB_SHARE = 0.9


def _stats() -> pd.DataFrame:
    """``domain_stats`` of the notebook's training corpus (computed once)."""
    from mixlab.domains import domain_stats

    return cached("3.3:stats", lambda: domain_stats(canonical_world().train))


def starving_domains_outcome() -> str:
    """The option letter naming the domains whose excess rises beyond the noise under proportional.

    Trains the 20 proxy runs of the notebook's section 5 and compares the two mixtures domain by
    domain (:func:`mixlab.verdicts.domain_comparisons`).

    Returns
    -------
    str
        ``"a"`` to ``"d"``, as in the options of ``3.3/which-domains-starve``.

    Used in: the tests of 3.3's prediction (the letter the catalog writes down must equal it).
    """
    from mixlab.mixers import proportional, uniform_by_token
    from mixlab.proxy import PROXY, sweep
    from mixlab.verdicts import domain_comparisons

    mixtures = {"uniform by token": uniform_by_token(_stats()), "proportional": proportional(_stats())}
    runs = sweep(canonical_world(), mixtures, PROXY, seeds=SEEDS, progress=False)
    verdicts = domain_comparisons(runs, "proportional", "uniform by token")["verdict"].droplevel("reference")
    higher = set(verdicts.index[verdicts == "higher"])
    share = proportional(_stats()).weights
    below = set(share.index[share < 1.0 / len(share) * 0.75])  # far below the uniform share 1/k
    others = set(share.index) - {str(share.idxmax())}
    if not higher:
        return "d"
    if higher == others:
        return "a"
    if higher == below:
        return "b"
    return "c"


def _trio_proportional() -> Mixture:
    from mixlab.mixers import proportional

    return proportional(_stats().loc[list(TRIO)])


def _compare_trio_weights(answer: Any, expected: Mixture, sub: pd.DataFrame) -> Verdict:
    from mixlab.mixers import proportional

    return compare_mixture(answer, expected, mean_lengths=sub,
                           slips=[(proportional(sub, by="docs").weights, "These are the shares of the documents "
                                   "(N_i / Σ N_j); the question asks for token weights T_i / Σ T_j.")],
                           hints=["w_i = T_i / Σ_j T_j, with the sum over the three domains only."])


def _growth_factor() -> float:
    """By what factor the web domain must grow for web to hold ``WEB_SHARE`` of the tokens."""
    tokens = _stats()["tokens"].astype(float)
    rest = float(tokens.sum() - tokens["web"])
    return WEB_SHARE / (1 - WEB_SHARE) * rest / float(tokens["web"])


def _compare_growth(answer: Any, expected: float) -> Verdict:
    s = _stats()
    tokens, docs = s["tokens"].astype(float), s["docs"].astype(float)
    slips = {
        "You worked with document counts; proportional sampling here is by tokens (T_i).":
            WEB_SHARE / (1 - WEB_SHARE) * float(docs.sum() - docs["web"]) / float(docs["web"]),
        "That is the web domain's new size relative to the whole corpus, not the factor on the web domain alone.":
            expected * float(tokens["web"]) / float(tokens.sum()),
        "That is how many tokens web must add relative to its size (f − 1), not the factor f itself.": expected - 1,
    }
    return compare_number(answer, expected, rtol=1e-3, what="growth factor of web", slips=slips,
                          hints=["Solve f T_web / (f T_web + Σ_{i≠web} T_i) = 0.9 for f."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="3.3/which-domains-starve",
        title="Which domains pay for web?",
        minutes=2,
        statement="Proportional sampling gives web about half the tokens and every other domain less than uniform "
                  "by token's 1/6, some a little less (code, forum), some much less (books, math, wiki). Compare the "
                  "two mixtures domain by domain over 10 seeds. Before running the next cells, predict: under "
                  "proportional, which domains have an excess loss **higher than under uniform by token, beyond "
                  "the noise**?",
        options={"a": "every domain except web",
                 "b": "only the domains whose share falls far below 1/6 (books, math, wiki); code and forum are "
                      "within noise",
                 "c": "only books and math, the two smallest domains",
                 "d": "none: the differences are within noise"},
        answer="b",  # = starving_domains_outcome(), checked by the tests
        explanation="A domain's excess depends on its training tokens. Code and forum lose only a little of their "
                    "1/6 share of the tokens, too little to move their excess beyond the "
                    "seed-to-seed noise; books, math and wiki lose a half or more of their tokens and are clearly "
                    "worse. The paired comparisons below show it, with Holm's correction over the six domains.",
    ),
    ImplementExercise(
        id="3.3/implement-binding-budgets",
        title="Write where each cap binds",
        minutes=8,
        statement="Write `binding_budgets(weights, sizes, max_epochs)`. `weights` is a pandas Series of token "
                  "weights keyed by domain (all positive, summing to 1), `sizes` a Series of token counts $T_i$ "
                  "keyed by the same domains, `max_epochs` the cap $E_{\\max}$. Return, for every domain, the budget "
                  "$B_i$ at which it is read exactly $E_{\\max}$ times, as a Series (or dict) keyed by domain, "
                  "without calling `mixlab.budget`. The smallest of them is the largest budget the mixture can "
                  "spend within its caps.",
        task=BINDING_BUDGETS,
    ),
    ComputeExercise(
        id="3.3/proportional-three-domains",
        title="Proportional over a smaller corpus",
        minutes=3,
        statement=f"A team trains only on {', '.join(TRIO)}. What are the **token** weights of the "
                  "source-proportional mixture of those three domains? Use the rows of `stats`; give a `Mixture` "
                  "or a dict.",
        reference=_trio_proportional,
        compare=lambda answer, expected: _compare_trio_weights(answer, expected, _stats().loc[list(TRIO)]),
    ),
    ComputeExercise(
        id="3.3/web-growth-for-ninety-percent",
        title="How big must the crawl grow?",
        minutes=5,
        statement="Under proportional sampling the web crawl holds about half the tokens today. By what factor "
                  f"$f$ must the web domain grow (its tokens multiplied by $f$, every other domain unchanged) "
                  f"before web holds {WEB_SHARE:.0%} of the training tokens?",
        reference=_growth_factor,
        compare=_compare_growth,
    ),
]
