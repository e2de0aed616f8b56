"""The catalogs of 2.1, 2.3, 2.4 and A.1: literal prediction letters agree with the world, passed objects
give the same references as the canonical world, and slip values are computed only for wrong answers."""

from __future__ import annotations

import math

import pytest

from mixlab.exercises.numbers import compare_number_lazy
from mixlab.exercises.registry import ComputeExercise, canonical_world, get_exercise


# ---------------------------------------------------------------- lazy slips
def test_lazy_slips_are_computed_only_for_a_wrong_answer() -> None:
    calls: list[int] = []

    def slips() -> dict[str, float]:
        calls.append(1)
        return {"You took the document share.": 0.25}

    assert not compare_number_lazy(..., 0.5, slips=slips, what="x").answered
    assert compare_number_lazy(0.5, 0.5, slips=slips, what="x").ok
    assert not compare_number_lazy("half", 0.5, slips=slips, what="x").ok
    assert calls == []
    v = compare_number_lazy(0.25, 0.5, slips=slips, what="x")
    assert not v.ok and v.hints[0] == "You took the document share." and calls == [1]


# ---------------------------------------------------------------- 2.1
def test_2_1_prediction_letter_is_the_world_s() -> None:
    from mixlab.exercises.catalog import s2_1

    item = get_exercise("2.1/books-token-share")
    assert item.reference_answer() == s2_1.books_token_share_option()


@pytest.mark.parametrize("eid", ["2.1/stricter-code-rule", "2.1/web-in-derived-code", "2.1/books-share-more-noise"])
def test_2_1_references_from_the_notebook_s_corpus_equal_the_canonical_ones(eid: str) -> None:
    item = get_exercise(eid)
    assert isinstance(item, ComputeExercise)
    assert math.isclose(item.reference_answer(canonical_world().train), item.reference_answer(), rel_tol=1e-12)


def test_2_1_slips_name_the_document_view() -> None:
    item = get_exercise("2.1/web-in-derived-code")
    from mixlab.domains import bytes_per_token_rule, confusion, derive_labels

    train = canonical_world().train
    c = confusion(train.docs["domain"], derive_labels(train, bytes_per_token_rule(4.6)))
    v = item.check(float(c.loc["web", "code"] / c["code"].sum()))
    assert not v.ok and "document view" in v.hints[0]


# ---------------------------------------------------------------- 2.3
def test_2_3_prediction_letter_is_the_world_s() -> None:
    from mixlab.exercises.catalog import s2_3

    assert get_exercise("2.3/which-domain-overshoots").reference_answer() == s2_3.overshoot_option()


def test_2_3_references_from_the_notebook_s_objects_equal_the_canonical_ones() -> None:
    from mixlab.domains import domain_stats

    train = canonical_world().train
    for eid, given in (("2.3/expected-books-share", train), ("2.3/books-epochs-proportional", domain_stats(train))):
        item = get_exercise(eid)
        assert isinstance(item, ComputeExercise)
        assert math.isclose(item.reference_answer(given), item.reference_answer(), rel_tol=1e-12)


def test_2_3_expected_share_is_what_many_draws_deliver() -> None:
    """The size-biased expectation is the long-run share of whole-document draws from p_tok."""
    from mixlab.domains import domain_stats
    from mixlab.mixers import uniform_by_token
    from mixlab.sampling import document_probabilities, draw_documents

    train = canonical_world().train
    target = uniform_by_token(domain_stats(train))
    drawn = draw_documents(train, document_probabilities(train, target), n=400_000, seed=5, target=target)
    expected = get_exercise("2.3/expected-books-share").reference_answer()
    assert abs(drawn.per_domain["realized_weight"]["books"] - expected) < 0.01


# ---------------------------------------------------------------- 2.4
@pytest.mark.slow
def test_2_4_prediction_letter_is_the_grid_s() -> None:
    """The raw worst case's grid optimum (the interior 1/6 grid, 50 proxy runs, as in the notebook) leans to web."""
    from mixlab.exercises.catalog import s2_4

    assert get_exercise("2.4/raw-worst-pulls").reference_answer() == s2_4.raw_worst_option()


def test_2_4_leak_reference_from_the_notebook_s_split_equals_the_rebuilt_one() -> None:
    from mixlab.exercises.catalog import s2_4

    item = get_exercise("2.4/leaked-token-share")
    assert isinstance(item, ComputeExercise)
    val_split, train_rest = s2_4._leak_split()
    assert math.isclose(item.reference_answer(val_split, train_rest), item.reference_answer(), rel_tol=1e-12)
    assert not item.check(float(s2_4._leaked(val_split, train_rest).mean())).ok  # the document share is a slip


def test_2_4_tutor_optimum_follows_the_losses_it_is_given() -> None:
    import pandas as pd

    item = get_exercise("2.4/tutor-target-optimum")
    losses = pd.DataFrame({"web": [3.0, 2.0], "code": [2.0, 3.0], "math": [2.0, 2.0]}, index=[0, 27])
    assert item.reference_answer(losses).weights.to_dict() == {"web": 0.0, "code": 0.0, "math": 1.0}


# ---------------------------------------------------------------- A.1
def test_a_1_references_from_the_notebook_s_build_equal_a_fresh_build(tmp_path: object) -> None:
    from pathlib import Path

    from mixlab.build import build, recipes_dir
    from mixlab.manifest import read_manifest, read_records

    out = Path(str(tmp_path)) / "tiny-demo"
    build(recipes_dir() / "tiny-demo.toml", out, executor="serial", progress=False)
    records, manifest = read_records(out), read_manifest(out)
    for eid, given in (("A.1/wiki-repeat-share", records), ("A.1/largest-budget", manifest)):
        item = get_exercise(eid)
        assert isinstance(item, ComputeExercise)
        assert math.isclose(item.reference_answer(given), item.reference_answer(), rel_tol=1e-12)


def test_a_1_largest_budget_is_accepted_and_one_token_more_is_not() -> None:
    import copy

    from mixlab.build import load_recipe, plan_build, recipes_dir

    budget = int(get_exercise("A.1/largest-budget").reference_answer())
    data = copy.deepcopy(load_recipe(recipes_dir() / "tiny-demo.toml").data)
    data["budget"]["tokens"] = budget
    assert plan_build(data).n_shards > 0
    data["budget"]["tokens"] = budget + 1
    with pytest.raises(ValueError, match="epoch cap"):
        plan_build(data)
