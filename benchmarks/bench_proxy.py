"""Benchmark proxy training against a minimal vectorized NumPy bigram model, measured in the same run.

The question: does :func:`mixlab.proxy.train_proxy` (and :func:`mixlab.proxy.sweep`) cost more than
the few lines of NumPy a careful person would write for the same model? Measured on the
``default`` world (seed 0), for two configurations: the target (full bigram, 1M tokens) and the
course proxy (128 hashed context buckets, 300k tokens).

**The peer** (:class:`NumpyBigram`) trains and evaluates the same model: the same training
documents (it calls mixlab's sampler, :func:`mixlab.proxy.training_rows`, so both read the same
tokens), their within-document transitions gathered from the token array with one vectorized
index, counted with one ``np.bincount``, add-k smoothing with the same k and the same context
hash, and the mean negative log-likelihood per validation domain over all validation
transitions (prepared once, on the first call, as mixlab caches its own). Before anything is
timed, the peer's losses are checked equal to mixlab's (1e-9). mixlab does more per run (a
:class:`~mixlab.proxy.ProxyRun` with tokens, documents and unique documents per domain, the
entropy floor); the ratio says what that costs.

**Method.** The first call of each implementation is timed on its own (it builds caches: pair
codes and held-out counts for mixlab, validation pairs for the peer). Then ``--repeat`` rounds;
each round runs every (configuration, implementation) once, in an order that rotates from round
to round, so that a busy machine's drift hits everyone alike; everyone gets the same number of
repeats. Reported: median (the verdict uses it), min and max over rounds. Memory: the peak RSS of
one cold call in a fresh process, above the RSS of the loaded world (Linux ``/proc/self/status``
VmHWM, reset through ``/proc/self/clear_refs`` after ``malloc_trim``; NaN elsewhere). The sweep
(``--mixtures`` Dirichlet(1) mixtures, one seed) is measured the same way with ``--sweep-repeat``
rounds.

**Verdict**, per configuration, on the ratio of medians mixlab / peer: "faster" below 0.95,
"at parity" up to 1.10, otherwise "slower" with the factor. No absolute target: a ratio survives a
slower machine, a raw time does not.

Run::

    python benchmarks/bench_proxy.py [--repeat 15] [--sweep-repeat 3] [--mixtures 200]

Used in: the design notes (proxy runs must be cheap enough for sweeps inside notebooks).
"""

from __future__ import annotations

import argparse
import ctypes
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from mixlab.agreement import candidate_mixtures
from mixlab.mixture import Mixture
from mixlab.proxy import PROXY, TARGET, ProxyConfig, sweep, train_proxy, training_rows
from mixlab.world import World, generate_world

PARITY = 1.10  # mixlab / peer median at or below this: at parity
FASTER = 0.95  # below this: faster


class NumpyBigram:
    """The peer: a hashed-context bigram model with add-k smoothing in plain, vectorized NumPy."""

    def __init__(self, world: World, config: ProxyConfig) -> None:
        self.world, self.config = world, config
        self.V = world.train.vocab_size
        self.context = config.build(self.V).context_map  # the same hash of previous tokens into buckets
        self.buckets = int(self.context.max()) + 1
        self._val: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @staticmethod
    def _pairs(tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(previous, next) token pairs inside documents ``tokens[starts[j] : starts[j] + lengths[j]]``."""
        n_pairs = np.maximum(lengths - 1, 0)
        first = np.concatenate([[0], np.cumsum(n_pairs)[:-1]])
        pos = np.arange(int(n_pairs.sum())) + np.repeat(starts - first, n_pairs)
        return tokens[pos], tokens[pos + 1]

    def _validation(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All validation pairs and their domain codes (built on the first call, then reused)."""
        if self._val is None:
            docs = self.world.validation.docs
            lengths = docs["n_tokens"].to_numpy()
            prev, nxt = self._pairs(self.world.validation.tokens, docs["start"].to_numpy(), lengths)
            dom = np.repeat(docs["domain"].cat.codes.to_numpy(), np.maximum(lengths - 1, 0))
            self._val = (prev, nxt, dom)
        return self._val

    def __call__(self, mixture: Mixture, seed: int) -> np.ndarray:
        """Train on ``config.budget`` tokens of ``mixture`` and return the mean loss per validation domain."""
        corpus = self.world.train
        rows, lengths = training_rows(corpus, mixture, self.config.budget, seed)
        prev, nxt = self._pairs(corpus.tokens, corpus.docs["start"].to_numpy()[rows], lengths)
        counts = np.bincount(self.context[prev] * self.V + nxt, minlength=self.buckets * self.V)
        counts = counts.reshape(self.buckets, self.V) + self.config.smoothing
        log_q = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
        vprev, vnxt, vdom = self._validation()
        nll = -log_q[self.context[vprev], vnxt]
        return np.bincount(vdom, weights=nll) / np.bincount(vdom)


def _status_kb(key: str) -> int:
    """A ``/proc/self/status`` memory field in kB (-1 if absent)."""
    with open("/proc/self/status") as f:
        m = re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else -1


def child_peak_rss(job: str, args: argparse.Namespace) -> None:
    """In a fresh process: load the world, reset the peak, run ``job`` once (cold), print the peak above the world."""
    jobs = build_jobs(args, sweeps=job.startswith("sweep "))
    name = job.removeprefix("sweep ")
    try:  # hand freed heap pages back first, or the call reuses them and its peak does not show (glibc)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS (Linux)
    except OSError:
        print("nan")
        return
    before = _status_kb("VmRSS")
    jobs[name]()
    print((_status_kb("VmHWM") - before) / 1024)


def peak_rss_mb(job: str, args: argparse.Namespace) -> float:
    """Peak RSS (MB) of one cold call of ``job`` in a fresh process, above the RSS of the loaded world."""
    cmd = [sys.executable, __file__, "--rss-child", job, "--mixtures", str(args.mixtures), "--seed", str(args.seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def rotated_rounds(jobs: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Run every job once per round, starting each round one job later; seconds per call."""
    names = list(jobs)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            t0 = time.perf_counter()
            jobs[name]()
            times[name].append(time.perf_counter() - t0)
    return times


def verdict(ratio: float) -> str:
    """Words for a mixlab / peer ratio of medians."""
    if ratio < FASTER:
        return f"faster than the peer ({ratio:.2f}x its time)"
    if ratio <= PARITY:
        return f"at parity with the peer ({ratio:.2f}x, threshold {PARITY:.2f}x)"
    return f"SLOWER than the peer: {ratio:.2f}x its time (threshold {PARITY:.2f}x)"


def first_calls(jobs: Mapping[str, Callable[[], object]]) -> dict[str, float]:
    """Seconds of the first call of every job (cold caches for the first job of each implementation)."""
    first = {}
    for name, fn in jobs.items():
        t0 = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - t0
    return first


def report(jobs: Mapping[str, Callable[[], object]], first: Mapping[str, float], rounds: int, unit: float,
           label: str, rss: Mapping[str, float]) -> pd.DataFrame:
    """Rotated rounds for every job; with ``first`` and ``rss``, a table in ``label`` units."""
    times = rotated_rounds(jobs, rounds)
    return pd.DataFrame(
        {
            f"first_{label}": {n: first[n] * unit for n in jobs},
            f"median_{label}": {n: statistics.median(times[n]) * unit for n in jobs},
            f"min_{label}": {n: min(times[n]) * unit for n in jobs},
            f"max_{label}": {n: max(times[n]) * unit for n in jobs},
            "repeats": {n: len(times[n]) for n in jobs},
            "peak_rss_MB": dict(rss),
        }
    )


def check_peer(world: World, peers: Mapping[str, NumpyBigram], mixture: Mixture) -> None:
    """The peer must compute the same losses as mixlab before its time means anything."""
    for name, peer in peers.items():
        ours = train_proxy(world, mixture, peer.config, 0).losses.to_numpy()
        np.testing.assert_allclose(peer(mixture, 0), ours, rtol=0, atol=1e-9, err_msg=f"peer differs ({name})")


def ratios(table: pd.DataFrame, configs: Sequence[str], label: str) -> list[str]:
    """One verdict line per configuration from the medians of ``mixlab: <config>`` and ``peer: <config>``."""
    out = []
    for cfg in configs:
        r = table.loc[f"mixlab: {cfg}", f"median_{label}"] / table.loc[f"peer: {cfg}", f"median_{label}"]
        out.append(f"  {cfg}: mixlab / peer median = {r:.2f} -> {verdict(r)}")
    return out


def build_jobs(args: argparse.Namespace, sweeps: bool) -> dict[str, Callable[[], object]]:
    """The timed jobs: ``mixlab: <config>`` and ``peer: <config>``, one run each (or one sweep each)."""
    world = generate_world("default", args.seed)
    counts = world.train.token_counts().astype(float)
    prop = Mixture.normalized(counts, provenance={"mixer": "proportional", "params": {}})
    configs = {f"{c.name} ({c.budget:,} tokens, {c.buckets or 'all'} buckets)": c for c in (TARGET, PROXY)}
    mixes = list(candidate_mixtures(world.train.domains, args.mixtures, 1.0, seed=args.seed).values())
    jobs: dict[str, Callable[[], object]] = {}
    for name, c in configs.items():
        peer = NumpyBigram(world, c)
        if sweeps:
            jobs[f"mixlab: {name}"] = lambda c=c: sweep(world, mixes, c, seeds=(0,), progress=False)
            jobs[f"peer: {name}"] = lambda p=peer: [p(m, 0) for m in mixes]
        else:
            jobs[f"mixlab: {name}"] = lambda c=c: train_proxy(world, prop, c, 0)
            jobs[f"peer: {name}"] = lambda p=peer: p(prop, 0)
    return jobs


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables and verdicts; return a process exit code."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15, help="rounds of single runs (every job once per round)")
    ap.add_argument("--sweep-repeat", type=int, default=3, help="rounds of sweeps")
    ap.add_argument("--mixtures", type=int, default=200, help="mixtures per sweep")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child is not None:
        child_peak_rss(args.rss_child, args)
        return 0

    jobs = build_jobs(args, sweeps=False)
    first = first_calls(jobs)  # before anything else runs: the first call of each builds its caches
    world = generate_world("default", args.seed)
    print(f"{world}\n")
    configs = [name.removeprefix("mixlab: ") for name in jobs if name.startswith("mixlab: ")]
    check_peer(world, {c: NumpyBigram(world, cfg) for c, cfg in zip(configs, (TARGET, PROXY), strict=True)},
               Mixture.normalized(world.train.token_counts().astype(float)))
    print("peer losses equal mixlab's (atol 1e-9) for every configuration\n")
    rss = {name: peak_rss_mb(name, args) for name in jobs}
    single = report(jobs, first, args.repeat, 1000.0, "ms", rss)
    with pd.option_context("display.float_format", "{:,.2f}".format, "display.width", 160):
        print("one train + evaluate (first call, then rotated rounds; peak RSS of a cold call in a fresh process):")
        print(single.to_string())
    print("\n".join(ratios(single, configs, "ms")))

    sweeps = build_jobs(args, sweeps=True)
    rss = {name: peak_rss_mb(f"sweep {name}", args) for name in sweeps}
    table = report(sweeps, first_calls(sweeps), args.sweep_repeat, 1.0, "s", rss)
    with pd.option_context("display.float_format", "{:,.3f}".format, "display.width", 160):
        print(f"\nsweep of {args.mixtures} mixtures, one seed:")
        print(table.to_string())
    print("\n".join(ratios(table, configs, "s")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
