"""Tests for mixlab.audit: lineage, drift checks, audit samples and truth rates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from corpus_factory import make_corpus

from mixlab.audit import audit_sample, drift_check, lineage, lineage_table, truth_rates
from mixlab.filters import dedup_filter, length_filter, quality_filter, run_pipeline
from mixlab.ledger import StageRow
from mixlab.validation import InvariantError


def _pipeline(corpus):  # type: ignore[no-untyped-def]
    return run_pipeline(
        corpus,
        [
            ("quality", quality_filter, {"threshold": 0.3}),
            ("length", length_filter, {"min_tokens": 10, "max_tokens": 400}),
            ("dedup", dedup_filter, {}),
        ],
    )


def test_lineage_answers_per_document() -> None:
    corpus = make_corpus(3, 300)
    result = _pipeline(corpus)
    table = lineage_table(result.decisions_by_stage())
    assert len(table) == len(corpus)
    assert list(table["doc_id"]) == list(corpus.docs["doc_id"])
    # every doc: dropped by quality iff quality < 0.3; else by length iff out of range; else kept
    q = corpus.docs["quality"].to_numpy() < 0.3
    n = corpus.docs["n_tokens"].to_numpy()
    bad_len = (n < 10) | (n > 400)
    expected = np.full(len(q), None, dtype=object)
    expected[~q & bad_len] = "length"
    expected[q] = "quality"
    got = table["stage"].to_numpy(dtype=object)
    assert all((a == b) or (a is None and b is None) for a, b in zip(got, expected, strict=True))
    assert (table["status"] == "kept").sum() == len(result.kept)
    # same answer from the stacked table
    assert lineage_table(result.decisions).equals(table)
    low = corpus.docs["doc_id"][q].iloc[0]
    rec = lineage(result.decisions_by_stage(), low)
    assert rec.status == "dropped" and rec.stage == "quality" and rec.reason == "low_quality"
    assert rec.stages_passed == ()
    assert "dropped at stage 'quality'" in str(rec)
    long_id = corpus.docs["doc_id"][~q & (n > 400)].iloc[0]
    rec = lineage(result.decisions, long_id)
    assert (rec.stage, rec.reason, rec.stages_passed) == ("length", "too_long", ("quality",))
    kept_id = result.kept.docs["doc_id"].iloc[0]
    rec = lineage(result.decisions, kept_id)
    assert rec.status == "kept" and "kept through all stages" in str(rec)
    with pytest.raises(KeyError, match="nope"):
        lineage(result.decisions, "nope")


def test_lineage_detects_broken_chain() -> None:
    corpus = make_corpus(4, 100)
    result = _pipeline(corpus)
    by_stage = result.decisions_by_stage()
    by_stage["length"] = by_stage["length"].iloc[1:]  # a kept doc vanishes between stages
    with pytest.raises(InvariantError, match="do not chain"):
        lineage_table(by_stage)


@pytest.mark.slow
def test_lineage_with_a_precomputed_table_gives_the_same_records() -> None:
    corpus = make_corpus(5, 300)
    result = _pipeline(corpus)
    by_stage = result.decisions_by_stage()
    table = lineage_table(by_stage)
    for source in (by_stage, list(by_stage.values()), result.decisions):
        for doc_id in table["doc_id"].iloc[::7]:
            assert lineage(source, doc_id, lineage_table=table) == lineage(source, doc_id)
    with pytest.raises(KeyError, match="nope"):
        lineage(by_stage, "nope", lineage_table=table)


def test_lineage_rejects_a_table_of_another_pipeline() -> None:
    result = _pipeline(make_corpus(5, 300))
    by_stage = result.decisions_by_stage()
    table = lineage_table(by_stage)
    doc_id = table["doc_id"].iloc[0]
    with pytest.raises(ValueError, match="does not belong to decisions_by_stage"):
        lineage(by_stage, doc_id, lineage_table=table.iloc[1:])
    names = ["q", "length", "dedup"]
    renamed = {name: df.assign(stage=name) for name, df in zip(names, by_stage.values(), strict=True)}
    with pytest.raises(ValueError, match=r"dropping stages \['quality'\]"):
        lineage(renamed, doc_id, lineage_table=table)
    with pytest.raises(ValueError, match="missing columns: status"):
        lineage(by_stage, doc_id, lineage_table=table.drop(columns="status"))
    with pytest.raises(TypeError, match="lineage_table must be a DataFrame"):
        lineage(by_stage, doc_id, lineage_table=table.to_dict())  # type: ignore[arg-type]


def test_lineage_detects_a_document_that_was_not_kept_upstream() -> None:
    result = _pipeline(make_corpus(4, 100))
    by_stage = result.decisions_by_stage()
    quality = by_stage["quality"]
    dropped_row = quality[~quality["kept"]].iloc[[0]].assign(stage="length", kept=True, reason=None)
    by_stage["length"] = pd.concat([by_stage["length"], dropped_row], ignore_index=True)
    with pytest.raises(InvariantError, match=r"stage 'length' has 1 documents not kept by 'quality'"):
        lineage_table(by_stage)


# ------------------------------------------------------------------ drift
def _run(seed: int, threshold: float = 0.3, n_docs: int = 400) -> pd.DataFrame:
    return quality_filter(make_corpus(seed, n_docs), threshold).decisions


@pytest.mark.slow
def test_drift_not_flagged_for_same_process_reruns() -> None:
    """Independent reruns (new world seed, same filter) are flagged at about rate alpha, not more."""
    n_pairs = 100
    results = [drift_check(_run(1000 + 2 * i), _run(1001 + 2 * i), alpha=0.01) for i in range(n_pairs)]
    flagged = sum(r.flagged for r in results)
    assert flagged <= 5  # expected ~1 at alpha = 0.01
    # each test is roughly calibrated: at level 0.1 it rejects around 10 % of the time
    p_doc = np.array([r.p_doc for r in results])
    p_tok = np.array([r.p_tok for r in results])
    assert 0.02 <= (p_doc < 0.1).mean() <= 0.2
    assert 0.02 <= (p_tok < 0.1).mean() <= 0.2


@pytest.mark.slow
def test_token_binomial_would_be_overconfident() -> None:
    """Why the cluster-aware test: treating tokens as independent trials rejects far too often."""
    from scipy import stats

    rejections = 0
    for i in range(40):
        a, b = _run(3000 + 2 * i), _run(3001 + 2 * i)
        ka, na = a.loc[a["kept"], "n_tokens"].sum(), a["n_tokens"].sum()
        kb, nb = b.loc[b["kept"], "n_tokens"].sum(), b["n_tokens"].sum()
        p = (ka + kb) / (na + nb)
        z = (ka / na - kb / nb) / math.sqrt(p * (1 - p) * (1 / na + 1 / nb))
        rejections += 2 * stats.norm.sf(abs(z)) < 0.01
    assert rejections >= 15  # a naive token binomial flags most same-process reruns


def test_drift_flags_threshold_change() -> None:
    res = drift_check(_run(7, 0.4, 2000), _run(8, 0.3, 2000), alpha=0.01)
    assert res.flagged
    assert res.table.loc["docs", "flagged"]
    assert res.table.loc["docs", "difference"] == pytest.approx(-0.1, abs=0.04)
    assert "DRIFT FLAGGED" in repr(res)


def test_drift_flags_token_only_change() -> None:
    """Dropping the longest ~3 % of documents barely moves a_doc but moves a_tok a lot."""
    ref = length_filter(make_corpus(11, 1500), max_tokens=100_000).decisions
    cur = length_filter(make_corpus(12, 1500), max_tokens=300).decisions
    res = drift_check(cur, ref, alpha=0.01)
    assert res.table.loc["tokens", "flagged"]
    assert abs(res.table.loc["docs", "difference"]) < 0.05
    assert res.table.loc["tokens", "difference"] < -0.1


def test_drift_with_stage_rows_runs_doc_test_only() -> None:
    a = quality_filter(make_corpus(5, 300), 0.3).row
    b = quality_filter(make_corpus(6, 300), 0.3).row
    res = drift_check(a, b)
    assert list(res.table.index) == ["docs"] and math.isnan(res.p_tok)
    small = drift_check(
        StageRow("s", 10, 9, 100, 90, {"r": 1}, {"r": 10}), StageRow("s", 10, 2, 100, 20, {"r": 8}, {"r": 80})
    )
    assert "Fisher" in small.table.loc["docs", "test"]
    with pytest.raises(ValueError, match="alpha"):
        drift_check(a, b, alpha=1.5)


def test_drift_with_a_single_document_run_is_no_evidence_of_token_drift() -> None:
    # one kept document against a 50 % reference: the token variance of a 1-document run cannot
    # be estimated, so the token test must not report certain drift (it is left out)
    ref = quality_filter(make_corpus(5, 1000), 0.5).decisions
    one = ref.iloc[[int(np.flatnonzero(ref["kept"].to_numpy())[0])]]
    res = drift_check(one, ref)
    assert list(res.table.index) == ["docs"] and math.isnan(res.p_tok)
    assert not res.flagged


# ------------------------------------------------------------------ audit
def test_audit_sample_seeded_stratified_and_near_threshold() -> None:
    corpus = make_corpus(9, 500)
    res = quality_filter(corpus, 0.5)
    s1 = audit_sample(res.decisions, corpus, 5, seed=1, threshold=0.5)
    s2 = audit_sample(res.decisions, corpus, 5, seed=1, threshold=0.5)
    s3 = audit_sample(res.decisions, corpus, 5, seed=2, threshold=0.5)
    pd.testing.assert_frame_equal(s1, s2)
    assert not s1["doc_id"].equals(s3["doc_id"])
    assert (s1["decision"] == "kept").sum() == 5 and (s1["decision"] == "dropped").sum() == 5
    assert s1["doc_id"].is_unique
    # within the band: the 20 nearest on each side
    d = res.decisions
    dist = (d["score"] - 0.5).abs()
    for side, mask in (("kept", d["kept"]), ("dropped", ~d["kept"])):
        band_edge = np.sort(dist[mask].to_numpy())[19]
        assert (s1.loc[s1["decision"] == side, "distance"] <= band_edge + 1e-12).all()
    assert (s1.loc[s1["decision"] == "kept", "score"] >= 0.5).all()
    assert (s1.loc[s1["decision"] == "dropped", "reason"] == "low_quality").all()
    with pytest.raises(ValueError, match="only"):
        audit_sample(res.decisions, corpus, 400, seed=1, threshold=0.5)


def test_audit_sample_rejects_multi_stage_table() -> None:
    corpus = make_corpus(10, 200)
    result = _pipeline(corpus)
    with pytest.raises(ValueError, match="one stage"):
        audit_sample(result.decisions, corpus, 2, seed=0, threshold=0.3)


# ------------------------------------------------------------------ truth_rates
def _decisions() -> pd.DataFrame:
    return pd.DataFrame({
        "doc_id": ["a", "b", "c", "d", "e"],
        "kept": [True, False, False, True, True],
        "n_tokens": [10, 100, 20, 30, 40],
    })


def test_truth_rates_by_hand_in_both_views() -> None:
    flag = pd.Series([False, True, False, True, False], index=["a", "b", "c", "d", "e"])
    out = truth_rates(_decisions(), flag, flag_name="junk")
    assert list(out.columns) == ["documents", "tokens"]
    assert out.loc["junk share of dropped (precision)", "documents"] == pytest.approx(1 / 2)
    assert out.loc["junk share of dropped (precision)", "tokens"] == pytest.approx(100 / 120)
    assert out.loc["dropped share of junk (recall)", "documents"] == pytest.approx(1 / 2)
    assert out.loc["dropped share of junk (recall)", "tokens"] == pytest.approx(100 / 130)
    assert out.loc["junk share of kept", "tokens"] == pytest.approx(30 / 80)


def test_truth_rates_looks_up_by_doc_id_and_accepts_audit_samples() -> None:
    flag = pd.Series([True, False, True, False, False], index=["e", "d", "c", "b", "a"])  # shuffled order
    dec = _decisions()
    by_id = truth_rates(dec, flag)
    by_row = truth_rates(dec, flag.loc[dec["doc_id"]].to_numpy())
    pd.testing.assert_frame_equal(by_id, by_row)
    audit = dec.assign(decision=np.where(dec["kept"], "kept", "dropped")).drop(columns="kept")
    pd.testing.assert_frame_equal(truth_rates(audit, flag), by_id)
    own = truth_rates(dec, flag, n_tokens=np.ones(5))
    assert own["tokens"].tolist() == own["documents"].tolist()


def test_truth_rates_nan_without_drops_and_clear_errors() -> None:
    dec = _decisions().assign(kept=True)
    out = truth_rates(dec, np.zeros(5, dtype=bool))
    assert math.isnan(out.iloc[0, 0]) and math.isnan(out.iloc[1, 0])
    with pytest.raises(ValueError, match="no entry for 1 doc_id"):
        truth_rates(dec, pd.Series([True] * 4, index=["a", "b", "c", "d"]))
    with pytest.raises(ValueError, match="one entry per decision"):
        truth_rates(dec, [True, False])
    with pytest.raises(TypeError, match="boolean"):
        truth_rates(dec, np.zeros(5))
    with pytest.raises(ValueError, match="'kept' or 'decision'"):
        truth_rates(dec.drop(columns="kept"), np.zeros(5, dtype=bool))
    with pytest.raises(ValueError, match="n_tokens"):
        truth_rates(dec, np.zeros(5, dtype=bool), n_tokens=[-1, 1, 1, 1, 1])
