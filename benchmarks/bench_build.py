"""Build throughput (tokens/s) of ``mixlab.build`` with 1 and 2 worker processes.

Question: does writing shards in parallel pay off, and how much of a build is the serial plan
(world generation, filters, sampling, blending) that no worker count can speed up?

Input: the ``default`` world (about 3 million training tokens), quality + dedup filters, a
source-proportional mixture and a budget of 3 million tokens (so small domains repeat), cut
into shards of at most 64k tokens. For each worker count the build runs into a fresh folder
(best of ``REPEATS`` after one warm-up); we report tokens/s over the whole build and over the
shard-writing phase alone, and the 2-vs-1 ratio, as the README of this folder asks. The two
builds' manifests must be identical (checked).

Run: ``/work/venv/bin/python benchmarks/bench_build.py``.

Used in: A.1 (why parallel writing helps only the shard phase).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from mixlab.build import BuildResult, build

REPEATS = 2
RECIPE: dict[str, Any] = {
    "schema_version": 1,
    "name": "bench-default",
    "seed": 0,
    "world": {"preset": "default", "seed": 0},
    "filters": [{"name": "quality", "threshold": 0.3}, {"name": "dedup"}],
    "mixture": {"mixer": "temperature", "params": {"T": 2.0}},
    "budget": {"tokens": 3_000_000, "max_epochs": 4.0},
    "shards": {"max_records": 100_000, "max_tokens": 65_536},
    "audit": {"n_per_side": 5},
}


def _run(workers: int, root: Path, tag: str) -> BuildResult:
    return build(RECIPE, root / tag, workers=workers, executor="process", resume=False, progress=False)


def main() -> None:
    """Run the benchmark and print a table."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _run(1, root, "warmup")
        best: dict[int, BuildResult] = {}
        for workers in (1, 2):
            for r in range(REPEATS):
                res = _run(workers, root, f"w{workers}-{r}")
                if workers not in best or res.seconds["total"] < best[workers].seconds["total"]:
                    best[workers] = res
        same = best[1].manifest["manifest_sha256"] == best[2].manifest["manifest_sha256"]
    tokens = best[1].tokens
    shards = best[1].manifest["totals"]["shards"]
    print(f"build of {tokens:,} tokens in {shards} shards (default world, best of {REPEATS}, {time.strftime('%H:%M')})")
    print(f"{'workers':>7} {'plan s':>8} {'shards s':>9} {'total s':>8} {'tok/s total':>12} {'tok/s shards':>13}")
    for w, res in best.items():
        s = res.seconds
        print(f"{w:>7} {s['plan']:8.2f} {s['shards']:9.2f} {s['total']:8.2f} {tokens / s['total']:12,.0f} "
              f"{tokens / s['shards']:13,.0f}")
    r_total = best[1].seconds["total"] / best[2].seconds["total"]
    r_shards = best[1].seconds["shards"] / best[2].seconds["shards"]
    print(f"speed-up 2 vs 1 workers: {r_total:.2f}x overall, {r_shards:.2f}x on the shard phase")
    print(f"identical manifests for 1 and 2 workers: {same}")


if __name__ == "__main__":
    main()
