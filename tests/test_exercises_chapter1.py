"""Chapter 1's exercise catalogs (00, 1.1, 1.2): the literal answers agree with what the lessons compute.

Two predictions keep a literal letter because computing it inside the lesson would re-run an
experiment (1.1's budget sweep) or regenerate the world (1.2's filter) at the solution cell; these
tests recompute the outcome the way the notebooks do and check the letter. The marginal-value
reference recomputes 1.2's table when no table is passed; it must equal what the notebook shows.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from mixlab.domains import domain_stats
from mixlab.exercises import get_exercise
from mixlab.exercises.catalog import s00, s1_1, s1_2
from mixlab.exercises.registry import canonical_world
from mixlab.filters import quality_filter
from mixlab.mixers import proportional
from mixlab.proxy import PROXY, sweep
from mixlab.stats import compare_groups

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _ten_times_letter(changes: pd.DataFrame, base_excess: pd.Series) -> str:
    """The option of 1.1's prediction that a budget sweep's verdicts bear out."""
    verdicts = changes.set_index("domain")["verdict"]
    relative = (-changes.set_index("domain")["mean_diff"] / base_excess.loc[verdicts.index]).astype(float)
    if (verdicts == "lower").all() and (relative >= 0.5).all():
        return "a"
    if (verdicts == "higher").all():
        return "d"
    if (verdicts == "within noise").all():
        return "c"
    if (verdicts == "lower").any() and not (verdicts == "higher").any() and (relative < 0.5).all():
        return "b"
    raise AssertionError(f"no option fits the sweep: {verdicts.to_dict()}, {relative.round(3).to_dict()}")


@pytest.mark.slow
def test_ten_times_the_tokens_prediction_matches_the_budget_sweep() -> None:
    world = canonical_world()
    mixture = {"proportional": proportional(domain_stats(world.train))}
    seeds = range(5)
    base = sweep(world, mixture, PROXY, seeds=seeds, progress=False).assign(mixture="base")
    ten = sweep(world, mixture, PROXY.with_(budget=10 * PROXY.budget), seeds=seeds, progress=False).assign(
        mixture="ten times")
    changes = compare_groups(pd.concat([base, ten]), "domain", "base", value="excess")
    base_excess = base.groupby("domain", observed=True)["excess"].mean()
    assert _ten_times_letter(changes, base_excess) == s1_1.TEN_TIMES_ANSWER
    assert get_exercise("1.1/what-ten-times-the-tokens-buys").reference_answer() == s1_1.TEN_TIMES_ANSWER


def test_filter_prediction_matches_the_quality_filter() -> None:
    world = canonical_world()
    row = quality_filter(world.train, world.spec.quality_threshold).row
    dropped_docs, dropped_tokens = 1 - row.a_doc, 1 - row.a_tok
    assert dropped_tokens >= 3 * dropped_docs and 0.2 <= dropped_tokens <= 0.5  # option (c)
    assert get_exercise("1.2/tokens-a-filter-drops").reference_answer() == s1_2.FILTER_ANSWER == "c"


def test_books_prediction_is_computed_from_the_world() -> None:
    tokens = canonical_world().train.token_counts()
    share = tokens["books"] / tokens.sum()
    letter = get_exercise("00/books-token-share").reference_answer()
    upper = s00.BOOKS_BANDS[letter]
    lower = max([0.0] + [u for u in s00.BOOKS_BANDS.values() if u < upper])
    assert lower <= share < upper


def test_marginal_reference_recomputes_the_table_the_notebook_shows() -> None:
    nb = nbformat.read(NOTEBOOKS / "1.2-token-value.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "curve = own.groupby" in c.source]
    (shown,) = [o["data"]["text/plain"] for o in cell.outputs if o.get("output_type") == "execute_result"]
    assert s1_2.marginal_curve(canonical_world()).round(4).to_string() == shown


def test_statements_name_what_the_check_cells_pass() -> None:
    for eid, names in (("00/web-share-after-junk", "summary"), ("1.1/maths-heavy-mixture", "stats"),
                       ("1.1/books-epochs-at-target-budget", "stats"), ("1.2/strict-threshold-token-drop", "train"),
                       ("1.2/marginal-value-ratio", "curve")):
        assert get_exercise(eid).check_call() == f'check("{eid}", answer, {names})'
