"""Tests for mixlab.search: the one skeleton every search method shares (options, batches of runs,
the trace, the provenance, the result) and the one progress helper.

Analytic loss surfaces (``evaluate=``) make every number here computable by hand.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixlab.doremi import doremi
from mixlab.mixing_laws import mixing_law_optimize
from mixlab.mixture import Mixture
from mixlab.optimizers import exponentiated_gradient, grid_search
from mixlab.progress import progress_bar
from mixlab.proxy import PROXY
from mixlab.regmix import regmix
from mixlab.search import EVAL_SEED, SearchOptions, search_setup

DOMAINS = ("web", "code", "math")
METHODS = {"grid": grid_search, "eg": exponentiated_gradient, "doremi": doremi, "mixing-law": mixing_law_optimize,
           "regmix": regmix}


def counting_surface(calls: list[np.ndarray]) -> Any:
    """Losses ``1 + w_i + 0.1 · (calls so far)`` per domain, recording every call."""

    def evaluate(m: Mixture) -> pd.Series:
        w = m.as_array(list(DOMAINS))
        calls.append(w)
        return pd.Series(1.0 + w + 0.1 * len(calls), index=list(DOMAINS))

    return evaluate


def setup_with(calls: list[np.ndarray], **options: Any) -> Any:
    return search_setup(None, "worst-case", PROXY, evaluate=counting_surface(calls), domains=DOMAINS,
                        progress=False, **options)


# ---------------------------------------------------------------- the options
def test_every_method_takes_the_shared_options_and_only_its_own_keywords() -> None:
    shared = set(SearchOptions.__annotations__)
    assert shared == {"max_epochs", "cap_budget", "seed", "eval_seed", "progress", "evaluate", "domains", "sizes"}
    for name, fn in METHODS.items():
        params = inspect.signature(fn).parameters
        assert list(params)[:3] == ["world", "objective", "config"], name
        assert params["options"].kind is inspect.Parameter.VAR_KEYWORD, name
        own = [p for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        assert not shared & {p.name for p in own}, name  # a shared option is never redeclared
        assert len(params) <= 12, (name, len(params))  # was 13 to 18


def test_unknown_or_bad_options_are_refused() -> None:
    with pytest.raises(TypeError, match=r"unknown keyword arguments \['resolutoin'\].*max_epochs"):
        grid_search(None, "uniform", PROXY, resolutoin=4, evaluate=counting_surface([]), domains=DOMAINS)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="progress must be a bool"):
        search_setup(None, "uniform", PROXY, evaluate=counting_surface([]), domains=DOMAINS, progress="no")  # type: ignore[typeddict-item]
    with pytest.raises(TypeError, match="seed"):
        search_setup(None, "uniform", PROXY, evaluate=counting_surface([]), domains=DOMAINS, seed=1.5)  # type: ignore[typeddict-item]


# ---------------------------------------------------------------- batches, trace, provenance, result
def test_run_batch_runs_each_row_once_per_seed_and_averages() -> None:
    calls: list[np.ndarray] = []
    setup = setup_with(calls)
    W = np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    losses, values, per_seed = setup.run_batch(W)
    assert len(calls) == 2
    np.testing.assert_allclose(losses, 1.0 + W + np.array([[0.1], [0.2]]))
    np.testing.assert_allclose(values, losses.max(axis=1))  # the worst-case objective of each row
    calls.clear()
    losses, values, per_seed = setup.run_batch(W, seeds=[4, 5, 6])  # an injected surface ignores the seed
    assert len(calls) == 6 and per_seed.shape == (2, 3, 3)
    np.testing.assert_allclose(losses, per_seed.mean(axis=1))
    np.testing.assert_allclose(per_seed[1, 2] - per_seed[1, 0], 0.2)  # calls 6 and 4 of the surface


def test_trace_params_and_result() -> None:
    calls: list[np.ndarray] = []
    setup = setup_with(calls, seed=3, eval_seed=9, max_epochs=None)
    W = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    losses, values, _ = setup.run_batch(W)
    history = setup.trace(W, losses, values, "point", feasible=[True, False])
    assert list(history.columns) == [*DOMAINS, "loss_web", "loss_code", "loss_math", "objective", "feasible"]
    assert history.index.name == "point"
    params = setup.params(resolution=2)
    assert list(params) == ["objective", "resolution", "max_epochs", "budget", "seed", "eval_seed", "config"]
    assert params["seed"] == 3 and params["eval_seed"] == 9 and params["budget"] == PROXY.budget
    capped = search_setup(None, "uniform", PROXY, evaluate=counting_surface([]), domains=DOMAINS, cap_budget=5e5,
                          max_epochs=4.0, sizes={"web": 1e6, "code": 1e6, "math": 1e5})
    assert capped.params()["cap_budget"] == 5e5  # recorded only when given
    n_calls = len(calls)
    res = setup.result(W[0], "test", params, runs=7, history=history)
    assert len(calls) == n_calls + 1  # one fresh measuring run
    assert res.value == pytest.approx(1.5 + 0.1 * len(calls))  # worst of 1 + w + 0.1 * calls
    assert res.runs == 7 and res.tokens_spent == 7 * PROXY.budget and res.method == "test"
    assert res.mixture.provenance == {"mixer": "test", "params": params}
    assert setup.result(W[0], "t", params, runs=2, history=history, tokens_spent=11).tokens_spent == 11
    with pytest.raises(AssertionError, match="above the caps"):
        capped.result(np.array([0.0, 0.0, 1.0]), "test", {}, runs=1, history=history)


@pytest.mark.slow
def test_methods_report_the_same_shared_provenance() -> None:
    sizes = {"web": 4e5, "code": 4e5, "math": 4e5}
    common: dict[str, Any] = {"evaluate": lambda m: pd.Series(1.0 + (m.as_array(list(DOMAINS)) - 0.3) ** 2,
                                                              index=list(DOMAINS)),
                              "domains": DOMAINS, "sizes": sizes, "max_epochs": 2.0, "cap_budget": 1e6, "seed": 0,
                              "progress": False}
    results = {
        "grid": grid_search(None, "uniform", PROXY, resolution=4, **common),
        "eg": exponentiated_gradient(None, "uniform", PROXY, steps=2, **common),
        "mixing-law": mixing_law_optimize(None, "uniform", PROXY, n_runs=8, restarts=2, **common),
        "regmix": regmix(None, "uniform", PROXY, n_runs=8, n_candidates=200, top_k=5, **common),
    }
    for name, res in results.items():
        p = res.mixture.provenance["params"]
        assert list(p)[0] == "objective", name
        assert list(p)[-6:] == ["max_epochs", "budget", "seed", "eval_seed", "config", "cap_budget"], (name, list(p))
        assert p["cap_budget"] == 1e6 and p["eval_seed"] == EVAL_SEED and p["max_epochs"] == 2.0
        assert np.all(res.mixture.as_array(list(DOMAINS)) <= 0.8 + 1e-9), name  # caps 2 · 4e5 / 1e6


# ---------------------------------------------------------------- the one progress helper
def test_progress_bar_is_silenced_by_progress_false_and_checks_its_flag() -> None:
    bar = progress_bar(range(3), False, desc="x")
    assert list(bar) == [0, 1, 2] and bar.disable
    manual = progress_bar(None, False, desc="x", total=5)
    manual.update(2)
    manual.close()
    with pytest.raises(TypeError, match="progress must be a bool"):
        progress_bar(range(3), 1, desc="x")  # type: ignore[arg-type]
