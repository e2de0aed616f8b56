"""Exercises of 2.3 (sampling distribution): one prediction, one function to write, three values to compute.

Every reference answer is computed here with mixlab from the notebook's corpus (``train`` or its
counts table ``stats``, which the check cells pass; ``generate_world("default", seed=0)`` when
called without them), never typed; none of them is printed in the notebook. Slip values are
computed only for a wrong answer. The prediction's letter is a literal, checked against the
world by tests/test_exercises_chapter2_catalogs.py.

Used in: 2.3.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number_lazy
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, canonical_world
from mixlab.exercises.tasks_chapter2 import TOKEN_PROBABILITIES
from mixlab.exercises.verdicts import Verdict

SECTION = "2.3"

#: The budget of the epochs exercise (tokens).
EPOCH_BUDGET = 5_000_000
#: Prefix length of the blend-tolerance exercise.
BLEND_N = 600
#: Options of the prediction, keyed by the domain each names.
OVERSHOOT_OPTIONS = {"forum": "a", "books": "b", "web": "c"}


def _train(train: Any = None) -> Any:
    return canonical_world().train if train is None else train


def _stats(stats: pd.DataFrame | None = None) -> pd.DataFrame:
    from mixlab.domains import domain_stats

    return domain_stats(_train()) if stats is None else stats


def size_biased_token_shares(train: Any = None) -> pd.Series:
    """Expected token share of each domain when whole documents are drawn from p_tok (uniform by token).

    A draw from domain d returns Σ_{x∈d} p(x) t_x / w_d tokens on average, so the expected share of
    d is Σ_{x∈d} p(x) t_x / Σ_x p(x) t_x.
    """
    from mixlab.domains import domain_stats
    from mixlab.mixers import uniform_by_token
    from mixlab.sampling import document_probabilities

    corpus = _train(train)
    p = np.asarray(document_probabilities(corpus, uniform_by_token(domain_stats(corpus))))
    mass = pd.Series(p * corpus.docs["n_tokens"].to_numpy()).groupby(corpus.docs["domain"].to_numpy()).sum()
    return (mass / mass.sum()).reindex(list(corpus.domains))


def overshoot_option(train: Any = None) -> str:
    """The prediction's right letter: the domain whose expected share overshoots 1/6 the most."""
    shares = size_biased_token_shares(train)
    return OVERSHOOT_OPTIONS.get(str(shares.idxmax()), "d")


def _books_share_slips() -> dict[str, float]:
    from mixlab.mixers import uniform_by_token
    from mixlab.sampling import document_probabilities, draw_documents

    train, stats = _train(), _stats()
    target = uniform_by_token(stats)
    drawn = draw_documents(train, document_probabilities(train, target), n=20_000, seed=0, target=target)
    plain = stats["mean_len"] / stats["mean_len"].sum()
    realized = float(drawn.per_domain["realized_weight"]["books"])
    return {
        "That is the realized share of the 20,000-document draw of section 1, one random sample; the question asks "
        "for the expectation, Σ_{x∈books} p(x) t_x / Σ_x p(x) t_x.": realized,
        "You weighted the domains by their plain mean lengths t̄_d; a p_tok draw returns the size-biased mean "
        "Σ t_x² / T_d tokens.": float(plain["books"]),
    }


def _compare_books_share(answer: Any, expected: float) -> Verdict:
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_books_share_slips,
                               what="expected token share of books under size-biased draws",
                               hints=["Expected tokens per draw from a domain: Σ_{x∈d} p(x) t_x; divide the books "
                                      "term by the sum over all documents."])


def _books_epochs(stats: pd.DataFrame | None = None) -> float:
    from mixlab.budget import epochs_from_weights
    from mixlab.mixers import proportional

    s = _stats(stats)
    return float(epochs_from_weights(proportional(s), EPOCH_BUDGET, s)["books"])


def _epochs_slips() -> dict[str, float]:
    from mixlab.mixers import proportional

    s = _stats()
    w = float(proportional(s)["books"])
    T = float(s["tokens"]["books"])
    return {
        "You left out the weight: e_i = w_i B / T_i.": EPOCH_BUDGET / T,
        "That is the number of books tokens drawn, w_i B; divide by T_i to get epochs.": w * EPOCH_BUDGET,
        "You divided by the whole corpus; epochs of books divide by books' own tokens T_books.":
            w * EPOCH_BUDGET / float(s["tokens"].sum()),
    }


def _compare_epochs(answer: Any, expected: float) -> Verdict:
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_epochs_slips, what="epochs of books",
                               hints=["e_i = w_i B / T_i with the proportional weight w_i = T_i / Σ_j T_j."])


def _blend_tolerance() -> float:
    from mixlab.sampling import blended_index_bound

    return float(blended_index_bound(np.full(6, 1.0 / 6.0)).max()) / BLEND_N


def _blend_slips() -> dict[str, float]:
    w, k = 1.0 / 6.0, 6
    return {
        "That is the bound b_j on the count; the tolerance on a share divides it by n.": _blend_tolerance() * BLEND_N,
        "You left out the ½ in front: b_j = ½ + w_j (k⁺ − 2) / 2.": (w * (k - 2) / 2) / BLEND_N,
        "That is the i.i.d. standard error sqrt(w (1 − w) / n), not the blend's deterministic bound.":
            float(np.sqrt(w * (1 - w) / BLEND_N)),
    }


def _compare_blend(answer: Any, expected: float) -> Verdict:
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_blend_slips, what=f"tolerance at n = {BLEND_N}",
                               hints=["b_j = ½ + w_j (k⁺ − 2) / 2, then divide by n."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="2.3/which-domain-overshoots",
        title="Whole documents drawn by p_tok",
        minutes=2,
        statement="Below, `draw_documents` draws 20,000 **whole documents** with probability $p_{tok}(x)$ for the "
                  "uniform-by-token target (every domain asks for 1/6 of the tokens). Using the table above, "
                  "predict: which domain's realized **token** share overshoots 1/6 the most?",
        options={"a": "forum: the largest ratio of size-biased to plain mean length",
                 "b": "books: the largest size-biased mean length",
                 "c": "web: the largest domain",
                 "d": "none: each domain gets 1/6 of the tokens on average"},
        answer="b",  # = overshoot_option(), checked by the tests
        explanation="A draw lands in domain d with probability w_d = 1/6 and then returns the size-biased mean "
                    "length of d, so the expected token share of d is proportional to its size-biased mean, not "
                    "to the ratio. Forum's ratio is the largest because its lengths are the most spread out, but "
                    "books start from far longer documents: their size-biased mean is the largest, and books "
                    "take by far the most tokens.",
    ),
    ImplementExercise(
        id="2.3/implement-token-probabilities",
        title="Write the per-document probabilities of a token mixture",
        minutes=10,
        statement="Write `token_probabilities(docs, weights)`. `docs` is a records table (a DataFrame with one "
                  "row per document and the columns `doc_id`, `domain` and `n_tokens`); `weights` is a pandas "
                  "Series of token weights $w_d$ keyed by domain (summing to 1; a weight may be 0). Return one "
                  "probability per row of `docs`, in the same order (an array or a Series): "
                  "$p_{tok}(x) = w_{d(x)}\\, t_x / T_{d(x)}$, where $T_d$ is the sum of `n_tokens` over the rows "
                  "of domain $d$. Use pandas (`groupby(...).transform`), not `document_probabilities`.",
        task=TOKEN_PROBABILITIES,
    ),
    ComputeExercise(
        id="2.3/expected-books-share",
        title="The expected share of a size-biased draw",
        minutes=5,
        statement="Section 1 drew 20,000 whole documents from $p_{tok}$ (uniform by token) and saw books "
                  "overshoot. What token share of books does such a draw deliver **in expectation**? Give a "
                  "fraction. (Each draw from domain $d$ returns on average $\\sum_{x \\in d} p(x)\\, t_x / w_d$ "
                  "tokens.)",
        reference=lambda train=None: float(size_biased_token_shares(train)["books"]),
        compare=_compare_books_share,
        decimals=4,
    ),
    ComputeExercise(
        id="2.3/books-epochs-proportional",
        title="Epochs of books",
        minutes=4,
        statement="Train on the *proportional* token mixture (`proportional(stats)`) with a budget of "
                  "$B$ = 5 million tokens. How many epochs of **books** is that?",
        reference=_books_epochs,
        compare=_compare_epochs,
        decimals=4,
    ),
    ComputeExercise(
        id="2.3/blend-tolerance",
        title="What the blend promises",
        minutes=5,
        statement="For a blended index over the *uniform by token* weights of the six domains ($w_j = 1/6$), "
                  "what is the bound $b_j$ on $|c_j(n) - w_j n|$? So what absolute tolerance on the **shares** "
                  "can it promise at $n$ = 600? Give the tolerance.",
        reference=_blend_tolerance,
        compare=_compare_blend,
        decimals=6,
    ),
]
