"""Benchmark the synthetic-world generator on the ``large`` preset.

Reports wall time, peak memory (tracemalloc peak and the ru_maxrss increase) and the ratio of
peak memory to the training token array, and compares the vectorized generator with a naive
per-document, per-token Python loop measured in the same run on a small subset and
extrapolated per token.

Targets: <= 2 s and peak memory <= 3x the int32 token array for a >= 10M-token world.

Run::

    python benchmarks/bench_world.py [--preset large] [--seed 0] [--repeat 3]

Used in: the design notes (generation must be fast enough for notebooks and tests).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc

import numpy as np

from mixlab.world import World, generate_world, load_spec


def naive_generate(world: World, n_docs: int, seed: int) -> tuple[int, float]:
    """Generate the first ``n_docs`` clean documents of each domain with plain Python loops.

    One ``rng.random()`` and one ``searchsorted`` per token on the dense row CDF: the obvious
    implementation a reader might write first. Returns (tokens generated, seconds).
    """
    rng = np.random.default_rng(seed)
    proc = world.process
    total = 0
    t0 = time.perf_counter()
    for d in proc.domains:
        cdf = np.cumsum(proc.transition(d), axis=1)
        pi_cdf = np.cumsum(proc.stationary_distribution(d))
        lengths = world.train.docs.loc[world.train.docs["domain"] == d, "n_tokens"].to_numpy()[:n_docs]
        for length in lengths:  # deliberately naive: a loop over documents ...
            doc = [int(np.searchsorted(pi_cdf, rng.random() * pi_cdf[-1], side="right"))]
            for _ in range(int(length) - 1):  # ... and over tokens
                row = cdf[doc[-1]]
                doc.append(min(int(np.searchsorted(row, rng.random() * row[-1], side="right")), proc.vocab_size - 1))
            total += len(doc)
    return total, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a small report; return a process exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="large")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-docs", type=int, default=6, help="documents per domain for the naive peer")
    args = ap.parse_args(argv)
    spec = load_spec(args.preset)

    # 1. memory, in a clean state: ru_maxrss (KiB on Linux) before and after, tracemalloc peak
    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    world = generate_world(spec, args.seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    token_bytes = world.train.tokens.nbytes
    n_tokens = world.train.n_tokens + world.validation.n_tokens

    # 2. time, without tracing
    times = []
    for _ in range(args.repeat):
        del world
        gc.collect()
        t0 = time.perf_counter()
        world = generate_world(spec, args.seed)
        times.append(time.perf_counter() - t0)
    best, median = min(times), float(np.median(times))

    # 3. the naive peer on a subset, extrapolated per token
    naive_tokens, naive_s = naive_generate(world, args.naive_docs, args.seed)
    naive_per_token = naive_s / naive_tokens
    naive_extrapolated = naive_per_token * n_tokens

    print(f"preset            : {spec.name} (seed {args.seed})")
    print(f"world             : {world}")
    print(
        f"tokens generated  : {n_tokens:,} (train {world.train.n_tokens:,} + validation {world.validation.n_tokens:,})"
    )
    print(f"wall time         : best {best:.3f} s, median {median:.3f} s over {args.repeat} runs (target <= 2 s)")
    print(f"throughput        : {n_tokens / best / 1e6:.1f} M tokens/s ({best / n_tokens * 1e9:.0f} ns/token)")
    print(f"token array       : {token_bytes / 2**20:.1f} MiB (int32)")
    print(f"tracemalloc peak  : {peak / 2**20:.1f} MiB = {peak / token_bytes:.2f}x the token array (target <= 3x)")
    print(
        f"ru_maxrss increase: {(rss1 - rss0) / 1024:.1f} MiB = "
        f"{(rss1 - rss0) * 1024 / token_bytes:.2f}x the token array"
    )
    print(
        f"naive loop        : {naive_tokens:,} tokens in {naive_s:.3f} s = {naive_per_token * 1e9:.0f} ns/token; "
        f"extrapolated to this world {naive_extrapolated:.1f} s"
    )
    print(f"speed-up          : {naive_extrapolated / best:.0f}x (naive extrapolated / vectorized best)")
    ok = best <= 2.0 and peak <= 3 * token_bytes
    print("targets           :", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
