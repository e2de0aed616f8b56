"""Build shard phase against a plain ``pyarrow.parquet.write_table`` of the same records.

Question: how much does ``mixlab.build`` add on top of writing Parquet (building the record
batches, the schema check, hashing, atomic renames, journaling, making the shards durable),
and what do two worker processes buy?

Input: the ``default`` world (about 3 million training tokens), quality + dedup filters, a
temperature mixture and a budget of 3 million tokens cut into shards of at most 64k tokens.

Configurations, each run in a fresh child process (so peak RSS is per configuration), the
same number of times, in alternating order (a rotation per round):

* ``serial``: ``build(..., executor="serial")`` into a new folder;
* ``process-2``: ``build(..., executor="process", workers=2)``;
* ``peer``: the same plan's records as Arrow tables (built before the clock starts), written
  one file per shard with ``pyarrow.parquet.write_table`` and the same Parquet settings, no
  hashing, no rename, no fsync. It gives mixlab's *shard phase* a real baseline.

mixlab's shard phase is ``seconds["shards"] + seconds["flush"]`` (writing every shard, then
the one flush that makes them durable). Reported: the first run and the median of each
configuration, the plan phase, peak RSS of the child (and of its workers), and the verdict:
shard phase of ``serial`` <= 1.5x the peer (issue 18). The serial and 2-worker manifests must
be identical (checked).

Run (from the repository root)::

    python benchmarks/bench_build.py [--repeats 5]

Used in: A.1 (why parallel writing helps only the shard phase); benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 1.5
CONFIGS = ("serial", "process-2", "peer")
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


def _peak_rss_mb() -> dict[str, float]:
    """Peak resident set size of this process and of its (waited-for) children, in MB (Linux: KB units)."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
    return {"self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale,
            "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale}


def _run_peer(out: Path) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mixlab.plan import plan_build
    from mixlab.records import PARQUET_SETTINGS
    from mixlab.shards import shard_batch

    t0 = time.perf_counter()
    plan = plan_build(RECIPE)
    t_plan = time.perf_counter() - t0
    tables = [pa.Table.from_batches([shard_batch(plan.task(i, out))]) for i in range(plan.n_shards)]
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    for i, table in enumerate(tables):
        pq.write_table(table, out / f"part-{i:05d}.parquet", **PARQUET_SETTINGS)
    t_write = time.perf_counter() - t0
    return {"plan": t_plan, "shard_phase": t_write, "tokens": int(sum(t["n_tokens"].to_numpy().sum() for t in tables)),
            "shards": plan.n_shards, "manifest_sha256": None}


def _run_build(out: Path, config: str) -> dict[str, Any]:
    from mixlab.build import build

    workers = 2 if config == "process-2" else 1
    res = build(RECIPE, out, workers=workers, executor="serial" if config == "serial" else "process",
                resume=False, progress=False)
    s = res.seconds
    return {"plan": s["plan"], "shard_phase": s["shards"] + s["flush"], "shards_only": s["shards"],
            "flush": s["flush"], "total": s["total"], "tokens": res.tokens, "shards": res.manifest["totals"]["shards"],
            "manifest_sha256": res.manifest["manifest_sha256"]}


def child(config: str, out: Path) -> None:
    """Run one configuration once and print its measurements as one JSON line."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    result = _run_peer(out) if config == "peer" else _run_build(out, config)
    result["config"] = config
    result["rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def _spawn(config: str, out: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", config, str(out)], capture_output=True, text=True,
                          check=False, env={**os.environ, "TQDM_DISABLE": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"{config} failed:\n{proc.stderr}")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return data


def main(repeats: int) -> None:
    """Run every configuration ``repeats`` times in alternating order and print the table and verdict."""
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            order = CONFIGS[r % len(CONFIGS):] + CONFIGS[: r % len(CONFIGS)]
            for config in order:
                runs[config].append(_spawn(config, Path(tmp) / f"{config}-{r}"))
    first = {c: runs[c][0] for c in CONFIGS}
    med = {c: {k: statistics.median(run[k] for run in runs[c]) for k in ("plan", "shard_phase")} for c in CONFIGS}
    tokens, shards = first["serial"]["tokens"], first["serial"]["shards"]
    print(f"build of {tokens:,} tokens in {shards} shards (default world); {repeats} run(s) per configuration, "
          f"alternating; {time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} cores)")
    print(f"{'config':>10} {'plan s':>8} {'shard phase s':>14} {'first shard s':>14} {'x peer':>7} "
          f"{'peak RSS MB':>12} {'workers MB':>11}")
    for c in CONFIGS:
        ratio = med[c]["shard_phase"] / med["peer"]["shard_phase"]
        rss = max(run["rss_mb"]["self"] for run in runs[c])
        workers = max(run["rss_mb"]["children"] for run in runs[c])
        print(f"{c:>10} {med[c]['plan']:8.3f} {med[c]['shard_phase']:14.3f} {first[c]['shard_phase']:14.3f} "
              f"{ratio:7.2f} {rss:12.0f} {workers:11.0f}")
    flush = statistics.median(run["flush"] for run in runs["serial"])
    print(f"serial shard phase = writing {statistics.median(r['shards_only'] for r in runs['serial']):.3f} s + "
          f"one flush to disk {flush:.3f} s (the peer does not make its files durable)")
    same = {run["manifest_sha256"] for c in ("serial", "process-2") for run in runs[c]}
    print(f"identical manifests for 1 and 2 workers in every run: {len(same) == 1}")
    ratio = med["serial"]["shard_phase"] / med["peer"]["shard_phase"]
    verdict = "OK" if ratio <= TARGET else "OVER"
    print(f"verdict: {verdict}: serial shard phase is {ratio:.2f}x the plain pyarrow write of the same records "
          f"(target <= {TARGET}x, medians of {repeats})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per configuration (default 5)")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
    else:
        if args.repeats < 1:
            parser.error(f"--repeats must be >= 1 (got {args.repeats})")
        main(args.repeats)
