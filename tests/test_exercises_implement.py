"""Implement-it exercises: the runner; the typical mistakes of the tasks_mixtures and tasks_data tasks
(a table, checked in test_exercises_tasks.py)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pandas as pd
from task_helpers import Mistake

from mixlab.exercises import tasks_data as td
from mixlab.exercises import tasks_mixtures as tm
from mixlab.exercises.implement import case_seed, describe, run_task

SEED = 7


def _text(v: Any) -> str:
    return repr(v)


# ---------------------------------------------------------------- the runner
def test_runner_reports_errors_in_one_line_without_traceback() -> None:
    def broken(w_doc: pd.Series, mean_len: pd.Series) -> pd.Series:
        return w_doc / 0 + mean_len["nope"]

    v = run_task(tm.DOC_TO_TOKEN, broken, SEED)
    assert not v.ok and v.answered
    assert v.message.startswith("doc_to_token raised KeyError: 'nope' (on hidden case 1 of")
    assert "Traceback" not in repr(v) and "\n" not in v.message


def test_runner_names_none_non_callables_and_missing_functions() -> None:
    assert "forget the `return`" in _text(run_task(tm.DOC_TO_TOKEN, lambda w, t: None, SEED))
    assert "expected your function doc_to_token itself" in run_task(tm.DOC_TO_TOKEN, 0.5, SEED).message
    waiting = run_task(tm.DOC_TO_TOKEN, ..., SEED)
    assert not waiting.answered and "define doc_to_token(w_doc, mean_len)" in waiting.message


def test_runner_reports_the_first_failing_case_with_inputs_expected_and_got() -> None:
    v = run_task(tm.DOC_TO_TOKEN, lambda w, t: w, SEED)
    assert v.message.startswith("doc_to_token fails hidden case 1 of 10: These are document weights")
    assert [d.split(" ")[0] for d in v.details] == ["w_doc", "mean_len", "expected:", "got:"]


def test_inputs_are_copied_so_a_mutating_function_cannot_spoil_the_reference() -> None:
    def mutating(w_doc: pd.Series, mean_len: pd.Series) -> pd.Series:
        mean_len[:] = 1.0  # a learner's in-place edit
        x = w_doc * 2.0
        return x / x.sum()

    v = run_task(tm.DOC_TO_TOKEN, mutating, SEED)
    assert not v.ok and "document weights" in v.message  # judged against the unchanged mean lengths


def test_case_seed_is_stable() -> None:
    assert case_seed("2.2/implement-doc-to-token") == case_seed("2.2/implement-doc-to-token") != case_seed("2.2/x")


def test_describe_is_short_and_deterministic() -> None:
    assert describe(0.123456789) == "0.123457"
    assert describe(pd.Series({"a": 0.5})) == "{a: 0.5}"
    assert describe(list(range(20))).endswith(", …]")
    assert describe(np.array([True, False])) == "[True, False]"
    assert describe(pd.DataFrame({"x": [1, 2]})) == "DataFrame with 2 rows and columns ['x']"


def test_stub_source() -> None:
    src = tm.DOC_TO_TOKEN.stub("Token weights.")
    assert src.startswith("def doc_to_token(w_doc, mean_len):\n") and 'raise NotImplementedError' in src
    namespace: dict[str, Any] = {}
    exec(src, namespace)  # noqa: S102 - the stub must be valid Python
    assert not run_task(tm.DOC_TO_TOKEN, namespace["doc_to_token"], SEED).answered


# ---------------------------------------------------------------- typical mistakes, task by task (the table)
def _doc_divided(w: pd.Series, t: pd.Series) -> pd.Series:
    x = w / t
    return x / x.sum()


def _temp_power_T(tokens: pd.Series, T: float) -> pd.Series:
    p = (tokens / tokens.sum()) ** T
    return p / p.sum()


def _epochs_drawn(weights: pd.Series, budget: float, sizes: pd.Series) -> pd.Series:
    return weights * budget


def _cap_strict(weights: pd.Series, budget: float, sizes: pd.Series, max_epochs: float) -> bool:
    return bool((weights * budget / sizes < max_epochs).all())


def _eg_uphill(w: pd.Series, grad: pd.Series, eta: float, caps: pd.Series) -> pd.Series:
    return tm.EG_STEP.reference(w, -grad, eta, caps)


def _eg_no_caps(w: pd.Series, grad: pd.Series, eta: float, caps: pd.Series) -> pd.Series:
    v = w * np.exp(-eta * grad)
    return v / v.sum()


def _unimax_uniform(sizes: pd.Series, budget: float, max_epochs: float) -> pd.Series:
    return pd.Series(1.0 / len(sizes), index=sizes.index)


def _spearman_values(proxy: pd.Series, target: pd.Series) -> float:
    return float(np.corrcoef(proxy, target)[0, 1])


def _rates_swapped(n_tokens: np.ndarray, kept: np.ndarray) -> tuple[float, float]:
    return float(n_tokens[kept].sum() / n_tokens.sum()), float(kept.mean())


def _rates_doc_twice(n_tokens: np.ndarray, kept: np.ndarray) -> tuple[float, float]:
    return float(kept.mean()), float(kept.mean())


def _audit_unseeded(decisions: pd.DataFrame, threshold: float, n_per_side: int, seed: int) -> list[str]:
    rng = np.random.default_rng()  # not the seed: a different sample each call
    out: list[str] = []
    for side in (True, False):
        d = decisions[decisions["kept"] == side]
        order = (d["score"] - threshold).abs().sort_values(kind="stable").index
        pool = d.loc[order, "doc_id"].to_numpy()[: td.AUDIT_BAND * n_per_side]
        out += [str(x) for x in rng.choice(pool, n_per_side, replace=False)]
    return out


def _audit_anywhere(decisions: pd.DataFrame, threshold: float, n_per_side: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for side in (True, False):
        ids = decisions.loc[decisions["kept"] == side, "doc_id"].to_numpy()
        out += [str(x) for x in rng.choice(ids, n_per_side, replace=False)]  # ignores the threshold band
    return out


def _drift_one_sided(k1: int, n1: int, k2: int, n2: int) -> float:
    p = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return 0.5 * math.erfc(abs(z) / math.sqrt(2))


def _manifest_hash_path(path: Any) -> dict[str, Any]:
    entry = td.MANIFEST_ENTRY.reference(path)
    return {**entry, "sha256": hashlib.sha256(str(path).encode()).hexdigest()}


def _manifest_swapped(path: Any) -> dict[str, Any]:
    entry = td.MANIFEST_ENTRY.reference(path)
    return {**entry, "rows": entry["tokens"], "tokens": entry["rows"]}


MISTAKES = [
    Mistake(tm.DOC_TO_TOKEN, _doc_divided, "You divided by the mean length"),
    Mistake(tm.TEMPERATURE, _temp_power_T, "temperature sampling uses the exponent α = 1/T"),
    Mistake(tm.EPOCHS, _epochs_drawn, "These are the tokens drawn from each domain"),
    Mistake(tm.EPOCH_CAP, _cap_strict, "e_i ≤ E_max (less than or equal)"),
    Mistake(tm.EG_STEP, _eg_uphill, "You stepped uphill"),
    Mistake(tm.EG_STEP, _eg_no_caps, "ignored the caps"),
    Mistake(tm.UNIMAX, _unimax_uniform, "This is uniform"),
    Mistake(tm.SPEARMAN, _spearman_values, "You correlated the values, not their ranks"),
    Mistake(td.ACCEPTANCE_RATES, _rates_swapped, "the two rates are swapped"),
    Mistake(td.ACCEPTANCE_RATES, _rates_doc_twice, "This is the document rate; a_tok counts tokens"),
    Mistake(td.AUDIT_SAMPLE, _audit_unseeded, "two different results for the same inputs", shows_case=False),
    Mistake(td.AUDIT_SAMPLE, _audit_anywhere, "nearest to the threshold"),
    Mistake(td.DRIFT, _drift_one_sided, "one-sided p-value"),
    Mistake(td.MANIFEST_ENTRY, _manifest_hash_path, "You hashed the path"),
    Mistake(td.MANIFEST_ENTRY, _manifest_swapped, "rows and tokens are swapped"),
]
