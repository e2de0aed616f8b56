"""Benchmark world generation against a plain vectorized NumPy peer, in the same run.

What is timed, for each preset (``default``, ``large``), configurations alternating round by round
so that a load spike hits every contender alike, the same number of repeats for each:

1. **token sampling**, the hot path: the same documents (lengths, chains, first tokens) drawn by
   - ``mixlab``: the stream-exact fast sampler (:func:`mixlab.world.sampler._fill`);
   - ``reference``: mixlab's position loop, the bytes the fast sampler must reproduce
     (:func:`mixlab.world.sampler._fill_reference`);
   - ``numpy peer``: written here, the obvious vectorized implementation of the same bigram
     chains: one step per position for all unfinished documents, each drawing its next token by
     inverse-CDF search in the dense transition rows (all rows' CDFs laid end to end, offset by
     the row number, one ``np.searchsorted`` per step). Same distribution, different stream use.
2. **the whole world**: ``generate_world`` (first call in a fresh process, and the median of the
   repeats), the same with the reference sampler, and a read from the verified world cache.

Memory: peak RSS of a child process running one contender once: the kernel's peak-RSS mark
(``VmHWM``, reset just before the call through ``/proc/self/clear_refs``) minus the RSS before the
call, so imports and inputs are not counted; as a multiple of the training token array. (Not
``ru_maxrss``: a child started by ``fork``/``exec`` inherits its parent's peak there.)

The verdict line compares mixlab with the peer (median ratio): mixlab should not be slower than
the plain peer, and the whole world should be >= 2x faster than with the reference sampler
(or, where not, the world cache is the remedy; see the printout).

Run::

    python benchmarks/bench_world.py [--presets default large] [--repeat 5]

Used in: the design notes (generation must be fast enough for notebooks and tests).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mixlab.world import generate, load_spec, sampler  # noqa: E402
from mixlab.world.process import MarkovProcess  # noqa: E402


class NumpyPeer:
    """The plain vectorized sampler: inverse-CDF search over end-to-end row CDFs, one step per position."""

    def __init__(self, process: MarkovProcess) -> None:
        k, v = len(process.domains), process.vocab_size
        dense = [process.transition(i) for i in range(k)] + [process.junk_transition(i) for i in range(k)]
        cdf = np.cumsum(np.stack(dense), axis=2)  # (2K, V, V)
        cdf /= cdf[:, :, -1:]  # rows end at exactly 1
        self.v = v
        self.flat = (cdf + np.arange(2 * k * v).reshape(2 * k, v, 1)).ravel()  # row r's CDF shifted by r

    def fill(self, out: np.ndarray, table_id: np.ndarray, first: np.ndarray, lengths: np.ndarray,
             starts: np.ndarray, rng: np.random.Generator) -> None:
        """Write the documents into ``out`` (same layout and conventions as mixlab's samplers)."""
        order = np.argsort(-lengths, kind="stable")
        ln, st, chain = lengths[order], starts[order], table_id[order].astype(np.int64)
        cur = first[order].astype(np.int64)
        out[st] = cur
        active = len(ln) - np.cumsum(np.bincount(ln, minlength=int(ln[0]) + 1))
        for t in range(1, int(ln[0])):  # one vectorized draw per position
            n = int(active[t])
            row = chain[:n] * self.v + cur[:n]
            idx = np.searchsorted(self.flat, row + rng.random(n), side="right")
            cur[:n] = np.minimum(idx - row * self.v, self.v - 1)
            out[st[:n] + t] = cur[:n]


def sampling_inputs(preset: str, seed: int = 0) -> tuple[MarkovProcess, sampler._Tables, list[tuple]]:
    """The exact ``_fill`` calls ``generate_world`` makes (training and validation), captured once."""
    calls: list[tuple] = []
    real = generate._fill

    def capture(out, tables, table_id, first, lengths, starts, rng):  # type: ignore[no-untyped-def]
        calls.append((out.copy(), table_id.copy(), first.copy(), lengths.copy(), starts.copy(), copy.deepcopy(rng)))
        real(out, tables, table_id, first, lengths, starts, rng)

    generate._fill = capture  # type: ignore[assignment]
    try:
        world = generate.generate_world(load_spec(preset), seed)
    finally:
        generate._fill = real  # type: ignore[assignment]
    tables = sampler._Tables.build(world.process)
    return world.process, tables, calls


def contenders(process: MarkovProcess, tables: sampler._Tables) -> dict[str, Callable[..., None]]:
    peer = NumpyPeer(process)
    return {
        "mixlab": lambda out, *a: sampler._fill(out, tables, *a),
        "reference": lambda out, *a: sampler._fill_reference(out, tables, *a),
        "numpy peer": lambda out, *a: peer.fill(out, *a),
    }


def run_sampling(fn: Callable[..., None], calls: list[tuple]) -> float:
    """Seconds for all of one world's sampling calls (fresh copies of the inputs, not timed)."""
    work = [(c[0].copy(), *c[1:5], copy.deepcopy(c[5])) for c in calls]
    t0 = time.perf_counter()
    for out, table_id, first, lengths, starts, rng in work:
        fn(out, table_id, first, lengths, starts, rng)
    return time.perf_counter() - t0


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak() -> int:
    """Reset the peak-RSS mark to the current RSS; return the current RSS in bytes."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def child(kind: str, preset: str) -> None:
    """Run one contender once in this fresh process; print JSON with seconds and peak-RSS growth."""
    if kind == "world":
        spec = load_spec(preset)
        rss0 = _reset_peak()
        t0 = time.perf_counter()
        world = generate.generate_world(spec, 0)
        seconds = time.perf_counter() - t0
        tokens = world.train.tokens.nbytes
    else:
        process, tables, calls = sampling_inputs(preset)
        fn = contenders(process, tables)[kind]
        work = [(c[0].copy(), *c[1:5], copy.deepcopy(c[5])) for c in calls]
        tokens = calls[0][0].nbytes
        rss0 = _reset_peak()
        t0 = time.perf_counter()
        for out, table_id, first, lengths, starts, rng in work:
            fn(out, table_id, first, lengths, starts, rng)
        seconds = time.perf_counter() - t0
    rss = _status("VmHWM") - rss0
    print(json.dumps({"seconds": seconds, "rss_bytes": rss, "token_bytes": tokens}))


def in_child(kind: str, preset: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, preset], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_preset(preset: str, repeat: int) -> dict[str, float]:
    process, tables, calls = sampling_inputs(preset)
    fns = contenders(process, tables)
    spec = load_spec(preset)
    cache = tempfile.mkdtemp(prefix="mixlab-bench-cache-")
    generate.generate_world(spec, 0, cache_dir=cache)  # fills the cache entry
    world_fns: dict[str, Callable[[], object]] = {
        "generate_world": lambda: generate.generate_world(spec, 0),
        "generate_world (reference sampler)": lambda: _with_reference(spec),
        "generate_world (cache read)": lambda: generate.generate_world(spec, 0, cache_dir=cache),
    }
    times: dict[str, list[float]] = {name: [] for name in [*fns, *world_fns]}
    for _ in range(repeat):  # configurations alternate within every round
        for name, fn in fns.items():
            times[name].append(run_sampling(fn, calls))
        for name, wfn in world_fns.items():
            t0 = time.perf_counter()
            wfn()
            times[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    n_tokens = sum(int(c[3].sum()) for c in calls)
    print(f"\n== {preset}: {n_tokens:,} tokens sampled per world ({len(calls)} calls), {repeat} rounds")
    print(f"{'token sampling':40s} {'median':>9s} {'min':>9s} {'ns/token':>9s} {'vs peer':>8s}")
    for name in fns:
        ts = times[name]
        print(f"{name:40s} {med[name]:9.3f} {min(ts):9.3f} {med[name] / n_tokens * 1e9:9.1f} "
              f"{med[name] / med['numpy peer']:7.2f}x")
    print(f"{'whole world':40s} {'median':>9s} {'min':>9s}")
    for name in world_fns:
        print(f"{name:40s} {med[name]:9.3f} {min(times[name]):9.3f}")
    first = {kind: in_child(kind, preset) for kind in ("world", "mixlab", "reference", "numpy peer")}
    print(f"{'child process (one call)':40s} {'seconds':>9s} {'peak RSS':>10s} {'x tokens':>9s}")
    for kind, r in first.items():
        label = "generate_world, first call" if kind == "world" else f"sampling: {kind}"
        mib, ratio = r["rss_bytes"] / 2**20, r["rss_bytes"] / r["token_bytes"]
        print(f"{label:40s} {r['seconds']:9.3f} {mib:8.1f}Mi {ratio:8.2f}x")
    ratio_peer = med["mixlab"] / med["numpy peer"]
    ratio_world = med["generate_world (reference sampler)"] / med["generate_world"]
    ratio_cache = med["generate_world (reference sampler)"] / med["generate_world (cache read)"]
    print(f"verdict: mixlab sampling at {ratio_peer:.2f}x the numpy peer's time "
          f"({'faster than' if ratio_peer < 1 else 'NOT faster than'} the peer); whole world {ratio_world:.2f}x "
          f"faster than with the reference sampler (target 2x: {'met' if ratio_world >= 2 else 'NOT met'}); "
          f"cache read {ratio_cache:.1f}x faster")
    return {"peer_ratio": ratio_peer, "world_speedup": ratio_world}


def _with_reference(spec: object) -> object:
    real = generate._fill
    generate._fill = lambda out, tables, *a: sampler._fill_reference(out, tables, *a)  # type: ignore[assignment]
    try:
        return generate.generate_world(spec, 0)  # type: ignore[arg-type]
    finally:
        generate._fill = real  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables and verdicts; return a process exit code."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=["default", "large"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PRESET"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    for preset in args.presets:
        bench_preset(preset, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
