"""Exercises of A.1 (from mixture to a reproducible dataset): one function to write, three results to compute.

The notebook builds the recipe shipped as ``data_synth/recipes/tiny-demo.toml`` (the ``tiny``
world, seed 0). Reference answers are computed with mixlab from the objects the check cells
pass (``records``, ``m``), or from a build of the same recipe into a temporary folder when called
without them; the junk exercise reads the ``tiny`` world directly. None is printed in the
notebook.

Used in: A.1.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number_lazy
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_data import MANIFEST_ENTRY
from mixlab.exercises.verdicts import Verdict

SECTION = "A.1"

#: The quality threshold of the token-view exercise.
MIDDLE_THRESHOLD = 0.45


def _demo_build() -> tuple[dict[str, Any], pd.DataFrame]:
    """The manifest and the records of the tiny-demo recipe, built once per process into a temporary folder."""
    def make() -> tuple[dict[str, Any], pd.DataFrame]:
        import tempfile
        from pathlib import Path

        from mixlab.build import build, recipes_dir
        from mixlab.manifest import read_manifest, read_records

        with tempfile.TemporaryDirectory(prefix="mixlab-exercise-") as tmp:
            out = Path(tmp) / "tiny-demo"
            build(recipes_dir() / "tiny-demo.toml", out, executor="serial", progress=False)
            return read_manifest(out), read_records(out, columns=["source_domain", "copy_index", "n_tokens"])

    result: tuple[dict[str, Any], pd.DataFrame] = cached("A.1:build", make)
    return result


def _wiki_repeat_share(records: pd.DataFrame | None = None) -> float:
    recs = _demo_build()[1] if records is None else records
    wiki = recs[recs["source_domain"] == "wiki"]
    return float(wiki.loc[wiki["copy_index"] >= 1, "n_tokens"].sum() / wiki["n_tokens"].sum())


def _wiki_slips() -> dict[str, float]:
    manifest, recs = _demo_build()
    wiki = recs[recs["source_domain"] == "wiki"]
    source = manifest["sources"]["wiki"]
    repeats = float(wiki.loc[wiki["copy_index"] >= 1, "n_tokens"].sum())
    return {
        "That is the share of wiki *records* that are repeats; weight each record by its n_tokens.":
            float((wiki["copy_index"] >= 1).mean()),
        "You divided by the available wiki tokens T_i; divide by the wiki tokens in the build.":
            repeats / float(source["available_tokens"]),
        "That is the share of first copies; the question asks for the repeats (copy_index >= 1).":
            1.0 - repeats / float(wiki["n_tokens"].sum()),
    }


def _compare_wiki(answer: Any, expected: float) -> Verdict:
    hint = "Sum n_tokens over the wiki records with copy_index >= 1 and divide by all wiki tokens in the build."
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_wiki_slips, hints=[hint],
                               what="share of wiki tokens that are repeats")


def _budget_limits(manifest: dict[str, Any]) -> pd.Series:
    cap = float(manifest["budget"]["max_epochs"])
    return pd.Series({d: cap * s["available_tokens"] / s["target_weight"] for d, s in manifest["sources"].items()})


def _largest_budget(manifest: dict[str, Any] | None = None) -> float:
    return float(_budget_limits(_demo_build()[0] if manifest is None else manifest).min())


def _budget_slips() -> dict[str, float]:
    manifest = _demo_build()[0]
    cap = float(manifest["budget"]["max_epochs"])
    total = float(sum(s["available_tokens"] for s in manifest["sources"].values()))
    return {
        "That is E_max times all the available tokens: the largest budget *some* mixture can meet (feasibility, "
        "2.5), not this one; each domain allows B <= E_max T_i / w_i and the smallest of these binds.": cap * total,
        "That is the loosest of the per-domain limits; the smallest one binds.": float(_budget_limits(manifest).max()),
    }


def _compare_budget(answer: Any, expected: float) -> Verdict:
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_budget_slips, unit="tokens",
                               what="largest budget within the epoch caps", factors={"E_max": 4.0},
                               hints=["w_i B / T_i <= E_max for every domain i: B <= E_max T_i / w_i."])


def _middle_threshold_shares() -> tuple[float, float]:
    """(junk share of the dropped tokens, of the dropped documents) at the middle threshold, on the tiny world."""
    from mixlab.filters import quality_filter

    world = canonical_world("tiny", 0)
    decisions = quality_filter(world.train, threshold=MIDDLE_THRESHOLD).decisions
    junk = world.truth.set_index(world.train.docs["doc_id"]).loc[decisions["doc_id"], "is_junk"].to_numpy()
    dropped = ~decisions["kept"].to_numpy()
    n_tokens = decisions["n_tokens"].to_numpy()
    return (float(n_tokens[dropped & junk].sum() / n_tokens[dropped].sum()),
            float((dropped & junk).sum() / dropped.sum()))


def _junk_slips() -> dict[str, float]:
    return {"That is the document view (dropped documents that are junk); weight each by its n_tokens.":
            _middle_threshold_shares()[1]}


def _compare_junk(answer: Any, expected: float) -> Verdict:
    return compare_number_lazy(answer, expected, rtol=1e-3, slips=_junk_slips,
                               what=f"junk share of the tokens dropped at {MIDDLE_THRESHOLD}",
                               hints=["Among the dropped decisions, sum n_tokens of the truly junk ones and divide by "
                                      "all dropped tokens."])


EXERCISES: list[Exercise] = [
    ImplementExercise(
        id="A.1/implement-manifest-entry",
        title="Write a manifest entry",
        minutes=12,
        statement="Write `manifest_entry(path)`: for one Parquet shard written by a build (a `pathlib.Path`), "
                  "return the dict the manifest keeps for it, `{\"sha256\": …, \"bytes\": …, \"rows\": …, "
                  "\"tokens\": …}`: the sha256 of the file's bytes as a hex string, the file's size in bytes, its "
                  "number of records, and the sum of its `n_tokens` column. (`hashlib.sha256`, "
                  "`path.stat().st_size`, `pyarrow.parquet.read_table(path, columns=[\"n_tokens\"])`.)",
        task=MANIFEST_ENTRY,
    ),
    ComputeExercise(
        id="A.1/wiki-repeat-share",
        title="Repeats in the token view",
        minutes=4,
        statement="`wiki` was drawn for about 1.2 epochs. What fraction of the **wiki tokens** in the build come "
                  "from repeated copies (records with `copy_index >= 1`)? Compute it from `records` and give a "
                  "fraction (e.g. 0.5).",
        reference=_wiki_repeat_share,
        compare=_compare_wiki,
        decimals=5,  # 0.1635 happens to be printed in 2.4 (an interval bound); five decimals are distinctive
    ),
    ComputeExercise(
        id="A.1/largest-budget",
        title="How far can the budget go?",
        minutes=5,
        statement="Keeping this recipe's weights and $E_{max} = 4$, what is the largest token budget $B$ the build "
                  "accepts before the epoch cap of some domain is broken? Use the manifest's `sources` (available "
                  "tokens $T_i$, target weights $w_i$) and the cap $w_i B / T_i \\le E_{max}$ (caps are taught in "
                  "2.5). Give $B$ in tokens.",
        reference=_largest_budget,
        compare=_compare_budget,
        decimals=0,
    ),
    ComputeExercise(
        id="A.1/junk-share-of-dropped-tokens",
        title="A middle threshold, in the token view",
        minutes=5,
        statement="Run the quality filter on `world.train` with threshold **0.45**. What fraction of the *tokens* it "
                  "drops belong to documents that are truly junk (`truth[\"is_junk\"]`)? Give a fraction. Then "
                  "compare with the document view.",
        reference=lambda: _middle_threshold_shares()[0],
        compare=_compare_junk,
        decimals=4,
    ),
]
