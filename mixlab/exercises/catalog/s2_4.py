"""Exercises of 2.4 (validation objective): one prediction, one function to write, two results to compute.

The notebook's world is three domains of the default world (``web``, ``code``, ``math``, seed 0)
and its proxy is the course's default :data:`mixlab.proxy.PROXY` (128 context buckets, 300,000
training tokens), trained on a grid of mixtures in steps of 1/6 (every domain at least 1/6) with five seeds. Reference
answers are computed with mixlab from the objects the check cells pass (``grid_losses``,
``val_split``, ``train_rest``), or rebuilt the same way when called without them; none is
printed in the notebook. The prediction's letter is a literal, checked against the grid by
tests/test_exercises_chapter2_catalogs.py.

Used in: 2.4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.given import GivenComputeExercise
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.mixtures import compare_mixture
from mixlab.exercises.numbers import compare_number_lazy
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import Exercise, cached
from mixlab.exercises.tasks_chapter2 import WORST_EXCESS
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

SECTION = "2.4"

#: The three domains of the lesson's world.
DOMAINS = ("web", "code", "math")
#: The grid's resolution (weights in steps of 1 / RESOLUTION) and the search seeds.
RESOLUTION = 6
SEEDS = (0, 1, 2, 3, 4)
#: The tutoring assistant's domain weights of the compute exercise.
TUTOR = {"web": 0.4, "code": 0.1, "math": 0.5}
#: Options of the prediction, keyed by the domain each names.
RAW_WORST_OPTIONS = {"web": "a", "code": "b", "math": "c"}


def lesson_world() -> Any:
    """The notebook's world: web, code and math of the default world, seed 0 (built once per process)."""
    from mixlab.world import generate_world, load_spec

    return cached("2.4:world", lambda: generate_world(load_spec("default").select_domains(list(DOMAINS)), seed=0))


def _grid() -> np.ndarray:
    from mixlab.optimizers import simplex_grid

    return np.asarray(simplex_grid(len(DOMAINS), RESOLUTION), dtype=np.float64)


def _grid_point(index: Any) -> Mixture:
    """Grid point ``index`` (the notebook's ``grid.loc[index]``) as a mixture."""
    return Mixture(dict(zip(DOMAINS, _grid()[int(index)].tolist(), strict=True)))


def lesson_grid_losses() -> pd.DataFrame:
    """The notebook's ``grid_losses``: mean losses over five seeds at the 10 interior grid points (50 runs, once)."""
    def build() -> pd.DataFrame:
        from mixlab.proxy import PROXY, mean_losses, sweep

        interior = np.flatnonzero((_grid() > 0).all(axis=1))  # the notebook's grid: every domain at least 1/6
        mixtures = {str(i): _grid_point(i) for i in interior}
        return mean_losses(sweep(lesson_world(), mixtures, PROXY, seeds=SEEDS, progress=False))

    result: pd.DataFrame = cached("2.4:grid", build)
    return result


def raw_worst_option() -> str:
    """The prediction's right letter: the domain with the largest weight at the raw worst-case optimum."""
    from mixlab.objectives import worst_case

    best = _grid_point(worst_case().values(lesson_grid_losses()).idxmin())
    return RAW_WORST_OPTIONS[str(best.weights.idxmax())]


def _tutor_optimum(grid_losses: pd.DataFrame | None = None) -> Mixture:
    from mixlab.objectives import weighted_objective

    losses = lesson_grid_losses() if grid_losses is None else grid_losses
    return _grid_point(weighted_objective(TUTOR).values(losses).idxmin())


def _compare_tutor(answer: Any, expected: Mixture) -> Verdict:
    return compare_mixture(answer, expected, atol=1e-6, hints=[
        "Apply weighted_objective({'web': 0.4, 'code': 0.1, 'math': 0.5}) to every row of grid_losses (its "
        ".values(grid_losses)), take the row with the smallest value (idxmin) and read its weights from grid."])


def _leak_split() -> tuple[Any, Any]:
    """The held-out split of leak 2: 200 random documents (rng seed 0) and the training rest."""
    train = lesson_world().train
    held = np.zeros(len(train), dtype=bool)
    held[np.random.default_rng(0).choice(len(train), size=200, replace=False)] = True
    return train.subset(held), train.subset(~held)


def _leaked(val_split: Any, train_rest: Any) -> np.ndarray:
    from mixlab.world import document_hashes

    return np.isin(document_hashes(val_split), document_hashes(train_rest))


def _leaked_token_share(val_split: Any = None, train_rest: Any = None) -> float:
    if val_split is None or train_rest is None:
        val_split, train_rest = _leak_split()
    leaked = _leaked(val_split, train_rest)
    return float(val_split.docs["n_tokens"].to_numpy()[leaked].sum() / val_split.n_tokens)


def _leak_slips() -> dict[str, float]:
    val_split, train_rest = _leak_split()
    leaked = _leaked(val_split, train_rest)
    tokens = float(val_split.docs["n_tokens"].to_numpy()[leaked].sum())
    return {
        "That is the share of held-out *documents* with a copy; weight each by its tokens.": float(leaked.mean()),
        "You divided by the training tokens; the question is about the held-out validation tokens.":
            tokens / float(train_rest.n_tokens),
        "That is the share of the held-out tokens *without* a copy.": 1.0 - tokens / float(val_split.n_tokens),
    }


def _compare_leak(answer: Any, expected: float) -> Verdict:
    hint = ("np.isin(document_hashes(val_split), document_hashes(train_rest)) marks the leaked documents; sum their "
            "n_tokens over all held-out tokens.")
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_leak_slips, hints=[hint],
                               what="leaked share of the held-out tokens")


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="2.4/raw-worst-pulls",
        title="Where does the raw worst case pull?",
        minutes=2,
        statement="The grid below scores every mixture of web, code and math under each objective. Using the floors "
                  "and the worst domains of section 2, predict: toward which domain does the **raw worst case** "
                  "$\\max_j L_j$ move its optimum (the largest weight at its best grid point)?",
        options={"a": "web: it has the highest floor, so it has the highest loss almost everywhere",
                 "b": "code: the proxy learns it fastest",
                 "c": "math: the proportional mixture starves it",
                 "d": "none: the optimum stays at equal weights"},
        answer="a",  # = raw_worst_option(), checked by the tests
        explanation="max_j L_j is set by whichever domain has the highest loss, and web's floor is the highest of "
                    "the three, so web's loss is the largest for most mixtures; the only way to lower the maximum is "
                    "to pour tokens into web, even though each one buys little. The worst excess subtracts the "
                    "floors first and does not chase web's noise.",
    ),
    ImplementExercise(
        id="2.4/implement-worst-excess",
        title="Write the worst excess of each mixture",
        minutes=8,
        statement="Write `worst_excess_per_mixture(losses, floor)`. `losses` is a DataFrame with one row per "
                  "mixture (index: the mixture names) and one column per domain, the validation losses $L_j$; "
                  "`floor` is a Series of the floors $L_j^*$ keyed by domain, **not necessarily in the order of "
                  "the columns**. Return a Series indexed like the rows of `losses` with each mixture's worst "
                  "excess $\\max_j (L_j - L_j^*)$.",
        task=WORST_EXCESS,
    ),
    GivenComputeExercise(
        id="2.4/tutor-target-optimum",
        title="The optimum for a maths tutor",
        minutes=5,
        statement="A maths tutoring assistant cares about maths and web text: $s$ = (0.4, 0.1, 0.5) for (`web`, "
                  "`code`, `math`). "
                  "Using the grid's mean losses `grid_losses` (the mean over the five seeds), which grid mixture "
                  "minimizes $\\sum_j s_j L_j$? Give it as a `Mixture` or a dict.",
        reference=_tutor_optimum,
        compare=_compare_tutor,
        given=("grid_losses",),
        # grid weights are multiples of 1/6, and 0.167, 0.333 (and their 4-decimal forms) appear in every grid
        # table; the answer's combination of weights appears in none, so search for the 5-decimal forms
        decimals=5,
    ),
    GivenComputeExercise(
        id="2.4/leaked-token-share",
        title="How big is the leak, in tokens?",
        minutes=4,
        statement="In leak 2, some held-out documents (`val_split`) have an exact copy left in `train_rest`. What "
                  "share of the held-out **tokens** sits in those documents? Give a fraction. "
                  "(`document_hashes` gives one content hash per document.)",
        reference=_leaked_token_share,
        compare=_compare_leak,
        given=("val_split", "train_rest"),
        decimals=5,  # at 4 decimals the truncated form (0.1400) is not distinctive enough for the leak test
    ),
]
