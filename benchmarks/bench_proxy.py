"""Benchmark proxy training: one train+evaluate on 1M tokens, and a 200-mixture sweep.

Measured on the ``default`` world (seed 0), best of several repeats after a warm-up:

1. ``train_proxy`` with the target configuration (full bigram, 1M tokens) and with the course
   proxy (128 buckets, 300k tokens), in ms per run (train + evaluate on every validation set);
2. a 200-mixture sweep (Dirichlet(1) mixtures, :func:`mixlab.proxy.sweep`, one seed) with each
   configuration, in seconds;
3. peers measured in the same run, reported as ratios:
   - *first version*: the same model, built the way proxy.py first did it (gather the
     documents into one array, mask document boundaries, hash every token, recompute the
     entropy-rate floor on every call);
   - *np.add.at*: counting the same transitions with ``np.add.at`` instead of ``bincount``;
   - *Python Counter*: counting transitions with ``collections.Counter`` over a 100k-token
     subset, extrapolated per token to 1M (the obvious pure-Python implementation).

Targets: <= 20 ms per 1M-token train+evaluate; <= 5 s for the 200-mixture sweep.

Run::

    python benchmarks/bench_proxy.py [--repeat 15] [--mixtures 200]

Used in: the design notes (proxy runs must be cheap enough for sweeps inside notebooks).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from mixlab.agreement import candidate_mixtures
from mixlab.mixture import Mixture
from mixlab.proxy import (
    PROXY,
    TARGET,
    BigramLM,
    ProxyConfig,
    held_out,
    sweep,
    train_proxy,
    training_rows,
    transitions,
)
from mixlab.world import World, generate_world


def best_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Warm up once, then return (best, median) wall time of ``repeat`` calls, in ms."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times), statistics.median(times)


def first_version(world: World, mixture: Mixture, config: ProxyConfig, seed: int) -> pd.Series:
    """Train and evaluate the way proxy.py first did: concatenate, mask, hash each token, recompute the floor."""
    corpus = world.train
    rows, lengths = training_rows(corpus, mixture, config.budget, seed)
    model = config.build(corpus.vocab_size)
    toks, offsets = corpus.concatenated_tokens(rows, lengths)
    prev, nxt = transitions(toks, offsets)
    code = model.context_map[prev] * model.vocab_size + nxt
    model.counts += np.bincount(code, minlength=model.counts.size).reshape(model.counts.shape)
    losses = model.evaluate(held_out(world.validation))
    floor = world.process.entropy_rate()
    return losses - floor


def add_at_version(world: World, mixture: Mixture, config: ProxyConfig, seed: int) -> pd.Series:
    """Same pairs, counted with the unbuffered ``np.add.at``."""
    corpus = world.train
    rows, lengths = training_rows(corpus, mixture, config.budget, seed)
    model = config.build(corpus.vocab_size)
    toks, offsets = corpus.concatenated_tokens(rows, lengths)
    prev, nxt = transitions(toks, offsets)
    np.add.at(model.counts, (model.context_map[prev], nxt), 1.0)
    return model.evaluate(held_out(world.validation))


def counter_seconds_per_token(world: World, mixture: Mixture, n_tokens: int, seed: int) -> float:
    """Count bigrams of an ``n_tokens`` sample with a Python Counter; seconds per training token."""
    corpus = world.train
    rows, lengths = training_rows(corpus, mixture, n_tokens, seed)
    toks, offsets = corpus.concatenated_tokens(rows, lengths)
    t0 = time.perf_counter()
    counts: Counter[tuple[int, int]] = Counter()
    tok_list = toks.tolist()
    for j in range(len(offsets) - 1):  # deliberately naive: a loop over documents ...
        doc = tok_list[offsets[j] : offsets[j + 1]]
        counts.update(zip(doc[:-1], doc[1:], strict=True))  # ... and over tokens
    lm = BigramLM(corpus.vocab_size)
    for (a, b), c in counts.items():
        lm.counts[a, b] += c
    lm.evaluate(held_out(world.validation))
    return (time.perf_counter() - t0) / n_tokens


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a small report; return a process exit code."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--mixtures", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    world = generate_world("default", args.seed)
    counts = world.train.token_counts().astype(float)
    prop = Mixture.normalized(counts, provenance={"mixer": "proportional", "params": {}})
    print(f"{world}\n")

    rows: list[dict[str, object]] = []
    t_best = float("nan")
    for cfg in (TARGET, PROXY):

        def run(cfg: ProxyConfig = cfg) -> object:
            return train_proxy(world, prop, cfg, 0)

        best, med = best_ms(run, args.repeat)
        t_best = best if cfg is TARGET else t_best
        rows.append({"what": f"train_proxy {cfg.name} ({cfg.budget:,} tokens)", "best_ms": best, "median_ms": med})
    peers = {
        "peer: first version (target config)": lambda: first_version(world, prop, TARGET, 0),
        "peer: np.add.at counting (target config)": lambda: add_at_version(world, prop, TARGET, 0),
    }
    for name, fn in peers.items():
        best, med = best_ms(fn, max(3, args.repeat // 3))
        rows.append({"what": name, "best_ms": best, "median_ms": med})
    per_tok = min(counter_seconds_per_token(world, prop, 100_000, 0) for _ in range(2))
    counter_ms = per_tok * TARGET.budget * 1000
    rows.append(
        {
            "what": "peer: Python Counter, 100k tokens extrapolated to 1M",
            "best_ms": counter_ms,
            "median_ms": float("nan"),
        }
    )
    table = pd.DataFrame(rows).set_index("what")
    table["x_slower_than_target_run"] = table["best_ms"].astype(float) / t_best
    with pd.option_context("display.float_format", "{:,.2f}".format, "display.width", 120):
        print(table.to_string())

    mixes = candidate_mixtures(world.train.domains, args.mixtures, 1.0, seed=args.seed)
    print()
    for cfg in (PROXY, TARGET):
        t0 = time.perf_counter()
        out = sweep(world, mixes, cfg, seeds=(0,), progress=False)
        secs = time.perf_counter() - t0
        ok = "OK" if secs <= 5 else "over target"
        print(
            f"sweep of {args.mixtures} mixtures with {cfg.name} ({cfg.budget:,} tokens): {secs:.2f} s "
            f"({secs / args.mixtures * 1000:.1f} ms per mixture; {len(out):,} rows) [target <= 5 s: {ok}]"
        )
    ok = "OK" if t_best <= 20 else "over target"
    print(f"\n1M-token train+evaluate: best {t_best:.1f} ms [target <= 20 ms: {ok}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
