"""Shared helpers for the build, manifest and fault-injection tests: a tiny recipe and file digests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from mixlab.manifest import tree_digests as digests  # noqa: F401  (re-exported for the build tests)
from mixlab.world import available_presets

PRESET = "tiny" if "tiny" in available_presets() else "default"
SCALE = 1.0 if PRESET == "tiny" else 0.05

RECIPE: dict[str, Any] = {
    "schema_version": 1,
    "name": "test-build",
    "seed": 3,
    "world": {"preset": PRESET, "seed": 0, "scale": SCALE},
    "filters": [{"name": "quality", "threshold": 0.3}, {"name": "dedup"}],
    "mixture": {"weights": {"web": 0.3, "books": 0.1, "code": 0.15, "math": 0.2, "wiki": 0.15, "forum": 0.1}},
    "budget": {"tokens": 24_000, "max_epochs": 4.0},
    "shards": {"max_records": 48},
    "audit": {"n_per_side": 3},
}


def recipe(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`RECIPE` with top-level sections replaced."""
    out = copy.deepcopy(RECIPE)
    out.update(copy.deepcopy(changes))
    return out


def temp_files(folder: Path) -> list[str]:
    """Temporary files left under ``folder``."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.tmp"))
