"""How does ``mixlab.sampling.blended_index`` compare with a compiled greedy blend of the same size?

Question: a blended index of 10^7 samples over 8 sources, built vectorized in numpy (stride
scheduling, see ``blended_index``), against compiled loops of Megatron-LM's greedy
largest-deficit rule (``build_blending_indices`` in ``megatron/core/datasets/helpers.cpp``:
at step i pick the source j with the largest ``w_j · max(i, 1) − count_j``, ties to the lowest j).
The two rules are not identical (the tests check both keep every prefix within a proven bound),
but they do the same job on the same input and output, so the cost comparison is fair.

Peers, each measured in the same run as mixlab:

(a) ``numba``: the greedy rule written as a plain loop (``greedy_blend`` below) and compiled by
    numba (``pip install numba``). Checked to give exactly ``blended_index_reference``'s output.
(b) Megatron-LM's own compiled helper, when ``megatron-core`` is installed. Its wheel ships the
    C++ extension ``megatron/core/datasets/helpers_cpp*.so``, which needs neither torch nor a GPU;
    install it without its framework dependencies (``pip install --no-deps megatron-core``). The
    extension is loaded from its file, so megatron's package ``__init__`` (which imports torch)
    never runs. Checked to give the same output as (a).

A peer that is not installed is reported as not measured; with neither installed the script
says plainly that no compiled peer was measured and gives no verdict.

Method: every implementation gets the same number of timed repeats (``REPEATS``), run in
alternating order (mixlab, peers, mixlab, ...) so that machine load hits all alike; the first
call is reported on its own (for numba it includes JIT compilation) and the verdict uses medians
of the repeats after it. Peak memory is the peak resident set size (``VmHWM``) of a fresh child
process that imports and warms up only that implementation, resets the kernel's peak-RSS mark,
builds one index and reports the peak's growth over the RSS before the call (Linux only). The
verdict is the ratio of medians, mixlab / fastest compiled peer.

Run from the repository root with the project's environment:
``python benchmarks/bench_blended_index.py``.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from mixlab.sampling import blended_index, blended_index_bound, blended_index_reference, max_prefix_deviation

N = 10_000_000
WEIGHTS = np.array([0.30, 0.20, 0.15, 0.12, 0.10, 0.07, 0.04, 0.02])
REPEATS = 7
PARITY = 1.5  # within this factor either way counts as parity

Blend = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------- peers
def numba_blend() -> Blend | None:
    """The greedy largest-deficit rule compiled by numba, or None if numba is not installed."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def greedy_blend(weights: np.ndarray, n: int, source: np.ndarray, within: np.ndarray) -> None:
        k = weights.shape[0]
        counts = np.zeros(k, dtype=np.int64)
        for i in range(n):
            scale = max(float(i), 1.0)
            best = 0
            best_err = weights[0] * scale - counts[0]
            for j in range(1, k):
                err = weights[j] * scale - counts[j]
                if err > best_err:
                    best = j
                    best_err = err
            source[i] = best
            within[i] = counts[best]
            counts[best] += 1

    def run(weights: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        source = np.empty(n, dtype=np.int16)
        within = np.empty(n, dtype=np.int64)
        greedy_blend(np.ascontiguousarray(weights, dtype=np.float64), n, source, within)
        return source, within

    return run


def megatron_helpers() -> ModuleType | None:
    """Megatron-LM's compiled ``helpers_cpp`` extension from an installed megatron-core, or None."""
    try:
        dist = importlib.metadata.distribution("megatron-core")
    except importlib.metadata.PackageNotFoundError:
        return None
    folder = Path(str(dist.locate_file("megatron/core/datasets")))
    found = sorted(folder.glob("helpers_cpp*.so"))
    if not found:
        return None
    loader = importlib.machinery.ExtensionFileLoader("helpers_cpp", str(found[0]))
    spec = importlib.util.spec_from_file_location("helpers_cpp", str(found[0]), loader=loader)
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def megatron_blend() -> Blend | None:
    helpers = megatron_helpers()
    if helpers is None:
        return None

    def run(weights: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        source = np.zeros(n, dtype=np.int16)
        within = np.zeros(n, dtype=np.int64)
        w = np.ascontiguousarray(weights, dtype=np.float64)
        helpers.build_blending_indices(source, within, w, len(w), n, False)
        return source, within

    return run


def implementations() -> dict[str, Blend | None]:
    """Every implementation by name; None where a peer is not installed."""
    return {
        "mixlab.blended_index": blended_index,
        "greedy rule, numba": numba_blend(),
        "Megatron-LM build_blending_indices (C++)": megatron_blend(),
    }


# ---------------------------------------------------------------------------- measuring
def timed(fn: Blend) -> float:
    t0 = time.perf_counter()
    fn(WEIGHTS, N)
    return time.perf_counter() - t0


def peak_rss_growth(name: str) -> float:
    """Peak RSS growth (MiB) of one call in a fresh child process, measured by the child."""
    out = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["mib"])


def _status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def child(name: str) -> None:
    """Build one index and print the peak RSS growth it caused (MiB), as JSON on the last line.

    Only the named implementation is built, warmed up (imports, JIT) on a tiny index, and then the
    kernel's peak-RSS mark is reset (``/proc/self/clear_refs``, Linux >= 4.0) so that neither the
    imports nor numba's compiler count: the growth is the index's own working memory.
    """
    impl = {
        "mixlab.blended_index": lambda: blended_index,
        "greedy rule, numba": numba_blend,
        "Megatron-LM build_blending_indices (C++)": megatron_blend,
    }[name]()
    assert impl is not None
    impl(WEIGHTS, 1000)
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM (peak RSS) to the current RSS
    before = _status_kib("VmRSS")
    result = impl(WEIGHTS, N)
    peak = _status_kib("VmHWM")
    del result
    print(json.dumps({"mib": (peak - before) / 1024}))


def check_outputs(impls: dict[str, Blend]) -> None:
    """The compiled peers implement exactly the reference greedy rule."""
    ref = blended_index_reference(WEIGHTS, 20_000)
    for name, impl in impls.items():
        if name == "mixlab.blended_index":
            continue
        src, within = impl(WEIGHTS, 20_000)
        assert np.array_equal(src, ref[0]) and np.array_equal(within, ref[1]), f"{name} differs from the reference"
        print(f"  {name}: identical to blended_index_reference on 20,000 samples")


def main() -> None:
    print(f"blended index: {N:,} samples over {WEIGHTS.size} sources, weights {WEIGHTS.tolist()}")
    found = implementations()
    impls = {k: v for k, v in found.items() if v is not None}
    for name, impl in found.items():
        if impl is None:
            print(f"  {name}: not installed, not measured")
    check_outputs(impls)
    first = {name: timed(impl) for name, impl in impls.items()}
    times: dict[str, list[float]] = {name: [] for name in impls}
    names = list(impls)
    for r in range(REPEATS):  # alternate the order every round
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name].append(timed(impls[name]))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"\n{'implementation':<42} {'first call':>11} {'median':>9} {'min..max':>17} {'peak RSS':>10}")
    for name in impls:
        rss = peak_rss_growth(name)
        print(f"{name:<42} {first[name]:>10.3f}s {med[name]:>8.3f}s "
              f"{min(times[name]):>7.3f}..{max(times[name]):.3f}s {rss:>7.0f} MiB")
    print(f"({REPEATS} timed repeats each, alternating; the first call is not among them; numba's includes JIT)")

    src, _ = blended_index(WEIGHTS, N)
    dev = max_prefix_deviation(src, WEIGHTS)
    print(f"mixlab: max over all {N:,} prefixes of |count_j - w_j n| = {dev.max():.3f} "
          f"(proven bound {blended_index_bound(WEIGHTS).max():.2f})")

    peers = {name: m for name, m in med.items() if name != "mixlab.blended_index"}
    if not peers:
        print("\nVERDICT: no compiled peer was measured (install numba, or megatron-core with --no-deps); "
              "no comparison is made.")
        return
    best = min(peers, key=peers.__getitem__)
    ratio = med["mixlab.blended_index"] / peers[best]
    if ratio <= 1 / PARITY:
        verdict = f"mixlab is {1 / ratio:.2f}x faster than the fastest compiled peer"
    elif ratio <= PARITY:
        verdict = f"parity with the fastest compiled peer (mixlab / peer = {ratio:.2f}, within {PARITY}x)"
    else:
        verdict = f"mixlab is {ratio:.2f}x slower than the fastest compiled peer"
    print(f"\nVERDICT: median mixlab / median {best} = {ratio:.2f}: {verdict}.")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
