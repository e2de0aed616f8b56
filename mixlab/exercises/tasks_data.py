"""Ready-made implement-it tasks on the data pipeline: rates, audit samples, drift and manifests.

Like :mod:`mixlab.exercises.tasks_mixtures`: the function the learner writes, seeded hidden
cases, mixlab's own implementation behind the same parameters (the reference adapter), and a
comparison that names the likely mistake.

======================  ====================================================  ==============================
task                    the learner writes                                    reference (mixlab)
======================  ====================================================  ==============================
``ACCEPTANCE_RATES``    ``acceptance_rates(n_tokens, kept)``                  ``ledger.StageRow.from_decisions``
``AUDIT_SAMPLE``        ``audit_pick(decisions, threshold, n_per_side, seed)``  ``ledger.audit_sample``
``DRIFT``               ``doc_rate_p_value(kept_now, in_now, kept_ref, in_ref)``  ``ledger.drift_check``
``MANIFEST_ENTRY``      ``manifest_entry(path)``                              ``manifest.file_sha256`` + Parquet
======================  ====================================================  ==============================

Used in: the implement-it exercises of 1.2 (``ACCEPTANCE_RATES``) and A.1 (``MANIFEST_ENTRY``);
``AUDIT_SAMPLE`` and ``DRIFT`` are ready but no lesson uses them yet.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import Unreadable, read_number, unreadable
from mixlab.exercises.implement import Case, FunctionTask, describe
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.registry import canonical_world
from mixlab.exercises.verdicts import Verdict, right, wrong

__all__ = ["ACCEPTANCE_RATES", "AUDIT_SAMPLE", "DRIFT", "MANIFEST_ENTRY", "AUDIT_BAND"]

N_CASES = 8
#: The band of :func:`mixlab.ledger.audit_sample`: each side draws from its ``AUDIT_BAND · n`` nearest records.
AUDIT_BAND = 4


# ============================================================================ acceptance rates
def _rates_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        n = int(rng.integers(20, 400))
        n_tokens = np.maximum(1, np.round(np.exp(rng.normal(5.0, 1.2, n)))).astype(np.int64)
        # long documents are dropped more often, so the two rates differ (except in the last case)
        p_keep = 0.9 - 0.5 * (n_tokens > np.median(n_tokens)) if i < N_CASES - 1 else np.full(n, 0.7)
        kept = rng.random(n) < p_keep
        kept[0] = True  # at least one document kept
        cases.append({"n_tokens": n_tokens, "kept": kept})
    return cases


def _rates(n_tokens: np.ndarray, kept: np.ndarray) -> tuple[float, float]:
    from mixlab.ledger import StageRow

    table = pd.DataFrame({"stage": "stage", "doc_id": np.arange(len(kept)), "domain": "all", "n_tokens": n_tokens,
                          "score": np.nan, "kept": kept, "reason": [None if k else "dropped" for k in kept]})
    row = StageRow.from_decisions(table)
    return row.a_doc, row.a_tok


def _read_pair(got: Any) -> tuple[float, float]:
    if isinstance(got, Mapping) and {"a_doc", "a_tok"} <= set(got):
        return read_number(got["a_doc"], "a_doc"), read_number(got["a_tok"], "a_tok")
    if isinstance(got, str) or not hasattr(got, "__len__") or len(got) != 2:
        raise Unreadable(f"expected two numbers (a_doc, a_tok), got {describe(got)}")
    return read_number(got[0], "a_doc"), read_number(got[1], "a_tok")


def _rates_compare(got: Any, expected: tuple[float, float], case: Case) -> Verdict:
    try:
        a_doc, a_tok = _read_pair(got)
    except Unreadable as exc:
        return unreadable(exc)
    e_doc, e_tok = expected
    if math.isclose(a_doc, e_tok, rel_tol=1e-9) and math.isclose(a_tok, e_doc, rel_tol=1e-9) and e_doc != e_tok:
        return wrong("the two rates are swapped.", ["Return (a_doc, a_tok): the document rate first."])
    for value, e, name, slips in (
        (a_doc, e_doc, "the document rate a_doc", {"This is the share of documents dropped; a_doc is kept / in.":
                                                   1 - e_doc}),
        (a_tok, e_tok, "the token rate a_tok", {"This is the document rate; a_tok counts tokens: Σ kept t_x / Σ t_x.":
                                                e_doc, "This is the share of tokens dropped; a_tok is kept / in.":
                                                1 - e_tok}),
    ):
        v = compare_number(value, e, rtol=0.0, atol=1e-9, what=name, slips=slips)
        if not v.ok:
            return v
    return right("right")


ACCEPTANCE_RATES = FunctionTask(
    name="acceptance_rates", params=("n_tokens", "kept"),
    returns="the pair (a_doc, a_tok): documents kept / documents in, tokens kept / tokens in",
    cases=_rates_cases, reference=_rates, compare=_rates_compare)


# ============================================================================ audit sample
def _audit_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    from mixlab.filters import quality_filter

    train = canonical_world("tiny", 0).train
    cases: list[Case] = []
    while len(cases) < N_CASES:
        threshold = float(np.round(rng.uniform(0.4, 0.7), 3))
        n = int(rng.integers(2, 6))
        decisions = quality_filter(train, threshold).decisions
        if min(int(decisions["kept"].sum()), int((~decisions["kept"]).sum())) >= AUDIT_BAND * n:
            cases.append({"decisions": decisions, "threshold": threshold, "n_per_side": n,
                          "seed": int(rng.integers(0, 10_000))})
    return cases


def _audit(decisions: pd.DataFrame, threshold: float, n_per_side: int, seed: int) -> list[str]:
    from mixlab.ledger import audit_sample

    sample = audit_sample(decisions, canonical_world("tiny", 0).train, n_per_side, seed, threshold=threshold,
                          band=AUDIT_BAND)
    return [str(x) for x in sample["doc_id"]]


def _band(case: Case) -> set[str]:
    """The records a valid sample may hold: mixlab's band, drawn whole (n = band · n, band 1)."""
    from mixlab.ledger import audit_sample

    whole = audit_sample(case["decisions"], canonical_world("tiny", 0).train, AUDIT_BAND * case["n_per_side"], 0,
                         threshold=case["threshold"], band=1)
    return {str(x) for x in whole["doc_id"]}


def _read_ids(got: Any) -> list[str]:
    if isinstance(got, pd.DataFrame):
        if "doc_id" not in got.columns:
            raise Unreadable(f"got a table without a doc_id column (columns {list(got.columns)})")
        got = got["doc_id"]
    if isinstance(got, str | Mapping) or not hasattr(got, "__iter__"):
        raise Unreadable(f"expected a list of doc_id values, got {describe(got)}")
    return [str(x) for x in got]


def _audit_compare(got: Any, expected: list[str], case: Case) -> Verdict:
    try:
        ids = _read_ids(got)
    except Unreadable as exc:
        return unreadable(exc)
    n = case["n_per_side"]
    kept = dict(zip(case["decisions"]["doc_id"].astype(str), case["decisions"]["kept"], strict=True))
    unknown = [i for i in ids if i not in kept]
    if unknown:
        return wrong(f"{len(unknown)} ids are not in decisions (e.g. {unknown[0]!r}).", ["Return doc_id values."])
    if len(set(ids)) != len(ids):
        return wrong("the sample repeats a record.", ["Draw without replacement (replace=False)."])
    n_kept = sum(kept[i] for i in ids)
    if (n_kept, len(ids) - n_kept) != (n, n):
        return wrong(f"the sample has {n_kept} kept and {len(ids) - n_kept} dropped records; it needs {n} of each.",
                     ["Draw n_per_side records from each side of the decision separately."])
    outside = [i for i in ids if i not in _band(case)]
    if outside:
        return wrong(f"{len(outside)} records are not among the {AUDIT_BAND} × n_per_side nearest to the threshold "
                     "on their side.", ["Sort each side by |score − threshold| and draw only from its first "
                                        f"{AUDIT_BAND} · n_per_side records."])
    return right("right")


AUDIT_SAMPLE = FunctionTask(
    name="audit_pick", params=("decisions", "threshold", "n_per_side", "seed"),
    returns=f"the doc_id values of n_per_side kept and n_per_side dropped records, each side drawn with the "
            f"seed from its {AUDIT_BAND} · n_per_side records nearest to the threshold",
    cases=_audit_cases, reference=_audit, compare=_audit_compare, repeatable=True)


# ============================================================================ drift
def _drift_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        n_ref, n_now = (int(x) for x in rng.integers(200, 5000, size=2))
        p_ref = float(rng.uniform(0.3, 0.9))
        p_now = p_ref + (0.0 if i % 2 else float(rng.uniform(-0.08, 0.08)))
        cases.append({"kept_now": int(rng.binomial(n_now, p_now)), "in_now": n_now,
                      "kept_ref": int(rng.binomial(n_ref, p_ref)), "in_ref": n_ref})
    return cases


def _stage_row(kept: int, n: int) -> Any:
    from mixlab.ledger import StageRow

    return StageRow(stage="stage", docs_in=n, docs_out=kept, tokens_in=n, tokens_out=kept,
                    dropped_docs={"dropped": n - kept}, dropped_tokens={"dropped": n - kept})


def _drift(kept_now: int, in_now: int, kept_ref: int, in_ref: int) -> float:
    from mixlab.ledger import drift_check

    return drift_check(_stage_row(kept_now, in_now), _stage_row(kept_ref, in_ref)).p_doc


def _drift_compare(got: Any, expected: float, case: Case) -> Verdict:
    k1, n1, k2, n2 = case["kept_now"], case["in_now"], case["kept_ref"], case["in_ref"]
    r1, r2 = k1 / n1, k2 / n2
    se_unpooled = math.sqrt(r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2)
    slips = {
        "This is a one-sided p-value; drift in either direction counts: p = 2 · P(Z > |z|).": expected / 2,
        "Under 'no drift' both runs share one rate: use the pooled p̂ = (k1 + k2) / (n1 + n2) in the standard "
        "error.": math.erfc(abs(r1 - r2) / se_unpooled / math.sqrt(2)),
    }
    return compare_number(got, expected, rtol=1e-6, atol=1e-12, what="the p-value", slips=slips,
                          hints=["z = (r1 − r2) / sqrt(p̂ (1 − p̂) (1/n1 + 1/n2)); p = erfc(|z| / √2)."])


DRIFT = FunctionTask(
    name="doc_rate_p_value", params=("kept_now", "in_now", "kept_ref", "in_ref"),
    returns="the two-sided p-value of the pooled two-proportion z-test on the document acceptance rates",
    cases=_drift_cases, reference=_drift, compare=_drift_compare)


# ============================================================================ manifest entry
def _shard_bytes(rng: np.random.Generator, rows: int) -> bytes:
    import pyarrow as pa

    from mixlab.manifest import encode_shard, record_schema

    lengths = rng.integers(1, 40, size=rows)
    domains = rng.choice(["web", "code", "wiki"], size=rows)
    doc_ids = [f"{d}-{int(x):07d}" for d, x in zip(domains, rng.integers(0, 10**6, size=rows), strict=True)]
    copies = rng.integers(0, 3, size=rows)
    columns = [
        pa.array([f"{d}#{c}" for d, c in zip(doc_ids, copies, strict=True)], pa.string()),
        pa.array(np.arange(rows, dtype=np.int64)),
        pa.array(domains.tolist(), pa.string()),
        pa.array(doc_ids, pa.string()),
        pa.array(copies.astype(np.int32)),
        pa.array(lengths.astype(np.int32)),
        pa.array([rng.integers(0, 500, size=n).astype(np.int32).tolist() for n in lengths], pa.list_(pa.int32())),
    ]
    return encode_shard([pa.RecordBatch.from_arrays(columns, schema=record_schema())])


def _manifest_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(4):
        path = workdir / f"shard-{i:05d}.parquet"
        path.write_bytes(_shard_bytes(rng, int(rng.integers(3, 60))))
        cases.append({"path": path})
    return cases


def _manifest_entry(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from mixlab.manifest import file_sha256

    table = pq.read_table(path, columns=["n_tokens"])
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size, "rows": table.num_rows,
            "tokens": int(np.asarray(table["n_tokens"]).sum())}


def _manifest_compare(got: Any, expected: dict[str, Any], case: Case) -> Verdict:
    if not isinstance(got, Mapping):
        return wrong(f"expected a dict with keys {', '.join(expected)}, got {type(got).__name__}")
    missing = [k for k in expected if k not in got]
    if missing:
        return wrong(f"the entry lacks {', '.join(missing)}.", [f"Return a dict with keys {', '.join(expected)}."])
    path = case["path"]
    if got["sha256"] != expected["sha256"]:
        named = got["sha256"] == hashlib.sha256(str(path).encode()).hexdigest()
        return wrong("sha256 does not match the file's bytes.",
                     ["You hashed the path, not the file." if named else
                      "Hash the bytes: hashlib.sha256(path.read_bytes()).hexdigest() (a hex string)."])
    if (got["rows"], got["tokens"]) == (expected["tokens"], expected["rows"]):
        return wrong("rows and tokens are swapped.", ["rows counts records; tokens sums their n_tokens."])
    for key, tip in (("bytes", "bytes is the file's size on disk: path.stat().st_size."),
                     ("rows", "rows is the number of records in the shard (table.num_rows)."),
                     ("tokens", "tokens is the sum of the n_tokens column over the records.")):
        if got[key] != expected[key]:
            return wrong(f"{key} is {describe(got[key])}.", [tip])
    return right("right")


MANIFEST_ENTRY = FunctionTask(
    name="manifest_entry", params=("path",),
    returns="a dict with the shard's sha256 (hex), bytes, rows and tokens",
    cases=_manifest_cases, reference=_manifest_entry, compare=_manifest_compare)
