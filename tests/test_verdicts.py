"""Tests for mixlab.verdicts: the one "worst" (excess over the floor) and the capstone's contest table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.domains import domain_stats
from mixlab.mixers import proportional, uniform_by_token
from mixlab.proxy import ProxyConfig, profile_summary, sweep, train_proxy
from mixlab.stats import holm
from mixlab.verdicts import ContestVerdicts, compare_domains, compare_runs, contest_verdicts, worst_excess_runs
from mixlab.world import World

SEEDS = [101, 102, 103, 104, 105, 106]
NOISE = np.array([0.03, -0.02, 0.05, -0.04, 0.01, -0.03])  # a seed effect every mixture shares


def contest() -> pd.DataFrame:
    """Long scores: 'good' clearly best on 'mean' (margin 0.2, tiny paired noise); on 'worst' 'base'
    and 'opt-worst' are within 0.001 of each other; 'bad' is clearly worst everywhere."""
    jitter = {"good": [0.001, -0.001, 0.0, 0.002, -0.002, 0.0], "base": [0.0] * 6,
              "opt-mean": [0.002, 0.0, -0.001, 0.001, 0.0, -0.002],
              "opt-worst": [0.004, -0.004, 0.003, -0.003, 0.0, 0.001],
              "bad": [0.01, 0.0, -0.01, 0.005, 0.0, -0.005]}
    level = {"mean": {"good": 3.8, "base": 4.0, "opt-mean": 4.0003, "opt-worst": 4.1, "bad": 4.5},
             "worst": {"good": 4.3, "base": 4.2, "opt-mean": 4.3, "opt-worst": 4.2005, "bad": 4.9}}
    rows = [{"mixture": m, "objective": o, "seed": s, "value": level[o][m] + NOISE[i] + jitter[m][i]}
            for o in level for m in jitter for i, s in enumerate(SEEDS)]
    return pd.DataFrame(rows)


def run(**kwargs: object) -> ContestVerdicts:
    args: dict[str, object] = {"optimized": {"mean": "opt-mean", "worst": "opt-worst"}, "baseline": "base"}
    return contest_verdicts(contest(), **{**args, **kwargs})  # type: ignore[arg-type]


def test_contest_table_names_winners_margins_and_noise() -> None:
    v = run(eligible={"good": False, "base": True, "opt-mean": True, "opt-worst": True, "bad": True})
    t = v.table
    assert list(t.index) == ["mean", "worst"]
    assert t.loc["mean", "winner"] == "good" and t.loc["mean", "runner_up"] == "base"
    assert t.loc["mean", "margin"] == pytest.approx(0.2, abs=0.003) and t.loc["mean", "margin_verdict"] == "clear"
    assert 0 < t.loc["mean", "margin_low"] < 0.2 < t.loc["mean", "margin_high"]
    assert t.loc["mean", "within_noise_of_winner"] == 0
    assert not t.loc["mean", "winner_in_cap"] and t.loc["mean", "best_in_cap"] == "base"
    assert t.loc["worst", "winner"] == "base" and t.loc["worst", "runner_up"] == "opt-worst"
    assert t.loc["worst", "margin_verdict"] == "within noise" and t.loc["worst", "margin_low"] < 0
    assert t.loc["mean", "optimized_vs_winner"] == "worse" and t.loc["mean", "optimized_rank"] == 3
    assert t.loc["mean", "optimized_vs_baseline"] == "within noise"
    assert t.loc["worst", "optimized_vs_winner"] == "within noise"
    assert t.loc["worst", "optimized_vs_baseline"] == "within noise"  # the baseline is the winner: same row
    assert v.within_noise.loc["opt-worst", "worst"] and not v.within_noise.loc["bad", "worst"]
    assert v.within_noise.loc["good", "mean"] and v.within_noise.loc["base", "worst"]  # the winners themselves
    assert v.overall.to_dict() == {"objectives": 2, "distinct winners": 2, "winners breaking the cap": 1,
                                   "optimized wins its objective": 0, "optimized within noise of the winner": 1,
                                   "optimized better than the baseline": 0}
    assert "2 objectives, 5 mixtures" in repr(v)


def test_one_holm_family_over_the_whole_table() -> None:
    v = run()
    comp = v.comparisons
    # 4 vs the winner per objective, + optimized vs baseline on 'mean' (winner is neither); on
    # 'worst' the baseline wins, so that comparison is the winner row already
    assert len(comp) == 9 and comp.attrs["comparisons"] == 9
    np.testing.assert_allclose(comp["p_adjusted"], holm(comp["p_value"].to_numpy()))
    per_objective = run(family="objective").comparisons
    for name in ["mean", "worst"]:
        part = per_objective.loc[name]
        np.testing.assert_allclose(part["p_adjusted"], holm(part["p_value"].to_numpy()))
    # correcting over more comparisons never finds more
    assert (per_objective["p_adjusted"] <= comp["p_adjusted"] + 1e-15).all()


def test_the_table_verdicts_come_from_the_comparisons() -> None:
    v = run()
    comp = v.comparisons
    for name, row in v.table.iterrows():
        margin = comp.loc[[(name, row["runner_up"])]]
        margin = margin[margin["role"] == "vs winner"].iloc[0]
        assert row["margin"] == pytest.approx(margin["mean_diff"])
        assert (row["margin_verdict"] == "clear") == (margin["verdict"] == "higher")


def test_more_comparisons_can_turn_a_clear_margin_into_noise() -> None:
    # two mixtures, 3 seeds, a consistent but small gap: clear alone, not after a Holm family of 5
    base = np.array([4.0, 4.2, 3.9])
    rows = [{"mixture": m, "objective": o, "seed": s, "value": v}
            for o in ["a", "b", "c", "d", "e"]
            for m, vals in {"x": base, "y": base + [0.04, 0.07, 0.055]}.items()
            for s, v in zip([1, 2, 3], vals, strict=True)]
    scores = pd.DataFrame(rows)
    alone = contest_verdicts(scores[scores["objective"] == "a"])
    together = contest_verdicts(scores)
    assert alone.table.loc["a", "margin_verdict"] == "clear"
    assert together.table.loc["a", "margin_verdict"] == "within noise"


def test_higher_is_better_flips_the_winner() -> None:
    v = contest_verdicts(contest(), lower_is_better=False)
    assert v.table.loc["mean", "winner"] == "bad" and v.table.loc["mean", "margin"] > 0


@pytest.mark.parametrize(
    ("kwargs", "err", "pattern"),
    [
        ({"optimized": {"nope": "good"}}, ValueError, "unknown objectives"),
        ({"optimized": {"mean": "nope"}}, ValueError, "mean -> nope"),
        ({"baseline": "nope"}, ValueError, "baseline 'nope'"),
        ({"eligible": {"good": True}}, ValueError, "no entry"),
        ({"eligible": dict.fromkeys(["good", "base", "opt-mean", "opt-worst", "bad"], False)}, ValueError,
         "allows no"),
        ({"family": "all"}, ValueError, "family"),
        ({"labels": {"objective": "x"}}, ValueError, "labels"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"lower_is_better": 1}, TypeError, "lower_is_better"),
    ],
)
def test_contest_verdicts_refuses_bad_arguments(kwargs: dict[str, object], err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        contest_verdicts(contest(), **kwargs)  # type: ignore[arg-type]


def test_contest_verdicts_refuses_unpaired_scores() -> None:
    with pytest.raises(ValueError, match="objective"):
        contest_verdicts(contest().drop(columns="objective"))
    with pytest.raises(ValueError, match="paired"):
        contest_verdicts(contest().drop(index=3))


# ---------------------------------------------------------------- worst excess over the floor
def test_worst_excess_runs_by_hand() -> None:
    table = pd.DataFrame({
        "mixture": ["m"] * 4 + ["n"] * 2, "seed": [0, 0, 1, 1, 0, 0],
        "domain": pd.Categorical(["web", "code"] * 3, categories=["web", "code"]),
        "loss": [4.0, 3.0, 4.1, 3.5, 3.9, 3.2], "floor": [3.5, 2.0, 3.5, 2.0, 3.5, 2.0],
    })
    out = worst_excess_runs(table)
    assert out[["mixture", "seed"]].to_records(index=False).tolist() == [("m", 0), ("m", 1), ("n", 0)]
    # web has the highest raw loss in every run, but code is furthest above its floor
    assert out["worst_loss_domain"].tolist() == ["web", "web", "web"]
    assert out["worst_domain"].tolist() == ["code", "code", "code"]
    np.testing.assert_allclose(out["worst_excess"], [1.0, 1.5, 1.2])
    np.testing.assert_allclose(out["mean_excess"], [0.75, 1.05, 0.8])
    np.testing.assert_allclose(out["worst_loss"], [4.0, 4.1, 3.9])
    with pytest.raises(ValueError, match="floor"):
        worst_excess_runs(table.drop(columns="floor"))
    with pytest.raises(ValueError, match="same domains"):
        worst_excess_runs(table.drop(index=5))
    with pytest.raises(ValueError, match="repeats"):
        worst_excess_runs(pd.concat([table, table.head(1)]))
    with pytest.raises(TypeError, match="DataFrame"):
        worst_excess_runs(table.to_numpy())  # type: ignore[arg-type]


def test_worst_excess_agrees_with_the_single_run_summary(tiny: World) -> None:
    counts = domain_stats(tiny.train)
    mixtures = {"uniform by token": uniform_by_token(counts), "proportional": proportional(counts)}
    cfg = ProxyConfig(budget=20_000, buckets=16, name="small")
    runs = worst_excess_runs(sweep(tiny, mixtures, cfg, seeds=(0, 1), progress=False))
    single = profile_summary({name: train_proxy(tiny, m, cfg, seed=1) for name, m in mixtures.items()})
    at1 = runs[runs["seed"] == 1].set_index("mixture")
    np.testing.assert_allclose(at1.loc[single.index, "worst_excess"], single["worst excess"], rtol=1e-12)
    assert at1.loc[single.index, "worst_domain"].tolist() == single["worst domain"].tolist()


def test_a_winner_by_construction_is_not_ranked() -> None:
    # 'good' wins 'mean' by construction (say, it is the reference): the contest ranks the others
    v = run(by_construction={"mean": "good"})
    t = v.table
    assert t.loc["mean", "winner"] == "base" and t.loc["mean", "runner_up"] == "opt-mean"
    assert t.loc["mean", "by_construction"] == "good" and t.loc["worst", "by_construction"] == ""
    assert t.loc["mean", "optimized_rank"] == 2
    # it is still compared with the winner: clearly lower (better), so not within noise of it
    row = v.comparisons.loc[[("mean", "good")]].iloc[0]
    assert row["reference"] == "base" and row["verdict"] == "lower"
    assert not v.within_noise.loc["good", "mean"]
    with pytest.raises(ValueError, match="by_construction"):
        run(by_construction={"mean": "nope"})


# ---------------------------------------------------------------- comparisons of runs and of domains
def sweep_like() -> pd.DataFrame:
    """Three mixtures on 5 shared seeds over web and code: 'hand' is 0.3 lower on code (its worst
    excess) and 0.05 higher on web; 'twin' equals 'base' up to tiny seed jitter."""
    seeds = [0, 1, 2, 3, 4]
    shared = [0.02, -0.03, 0.01, 0.04, -0.02]
    jitter = [0.001, -0.002, 0.0, 0.002, -0.001]
    shift = {"base": {"web": 0.0, "code": 0.0}, "hand": {"web": 0.05, "code": -0.3},
             "twin": {"web": 0.0, "code": 0.0}}
    rows = []
    for m in ("base", "hand", "twin"):
        for i, s in enumerate(seeds):
            for d, floor, level in (("web", 3.0, 4.5), ("code", 2.0, 4.2)):
                j = jitter[i] * (1 if m == "hand" else -1 if m == "twin" else 0.5)
                rows.append({"mixture": m, "seed": s, "domain": d, "floor": floor,
                             "loss": level + shift[m][d] + shared[i] + j})
    return pd.DataFrame(rows)


def test_compare_runs_is_one_holm_family_over_measures() -> None:
    out = compare_runs(sweep_like(), "base", measures=("worst_excess", "worst_loss"))
    assert list(out.index) == [("worst_excess", "hand"), ("worst_excess", "twin"),
                               ("worst_loss", "hand"), ("worst_loss", "twin")]
    # code is furthest above its floor: 'hand' lowers the worst excess; the raw worst loss is web's, 0.05 higher
    assert out.loc[("worst_excess", "hand"), "mean_diff"] == pytest.approx(-0.3, abs=0.01)
    assert out.loc[("worst_excess", "hand"), "verdict"] == "lower"
    assert out.loc[("worst_loss", "hand"), "mean_diff"] == pytest.approx(0.05, abs=0.01)
    assert out.loc[("worst_loss", "hand"), "verdict"] == "higher"
    assert out.loc[("worst_excess", "twin"), "verdict"] == "within noise"
    np.testing.assert_allclose(out["p_adjusted"], holm(out["p_value"].to_numpy()))
    pairs = compare_runs(sweep_like(), all_pairs=True, measures=("mean_excess",))
    assert list(pairs.index) == [("mean_excess", "base", "hand"), ("mean_excess", "base", "twin"),
                                 ("mean_excess", "hand", "twin")]
    for bad in [(), ("worst",), ("worst_excess", "worst_excess")]:
        with pytest.raises(ValueError, match="measures"):
            compare_runs(sweep_like(), "base", measures=bad)
    with pytest.raises(ValueError, match="measure"):
        compare_runs(sweep_like(), "base", labels={"measure": "x"})


def test_compare_domains_is_one_holm_family_over_domains() -> None:
    out = compare_domains(sweep_like(), "base", labels={"budget": 100})
    assert list(out.index) == [("web", "hand"), ("web", "twin"), ("code", "hand"), ("code", "twin")]
    assert out.loc[("code", "hand"), "verdict"] == "lower" and out.loc[("web", "hand"), "verdict"] == "higher"
    assert out.loc[("web", "twin"), "verdict"] == "within noise" and (out["budget"] == 100).all()
    np.testing.assert_allclose(out["p_adjusted"], holm(out["p_value"].to_numpy()))
    from scipy.stats import ttest_rel

    t = sweep_like()
    code = t[t.domain == "code"].pivot(index="seed", columns="mixture", values="loss")
    assert out.loc[("code", "hand"), "p_value"] == pytest.approx(ttest_rel(code["hand"], code["base"]).pvalue)
    with pytest.raises(ValueError, match="loss"):
        compare_domains(t.drop(columns="loss"), "base")
    with pytest.raises(TypeError, match="DataFrame"):
        compare_domains([1], "base")  # type: ignore[arg-type]
