"""Shared fixtures for the unit tests: the seeded worlds several test modules read.

A ``World`` is immutable (frozen dataclasses, read-only token arrays), so one instance per test
session serves every module that only reads it.

Used in: the test suite.
"""

from __future__ import annotations

import pytest

from mixlab.world import World, generate_world


@pytest.fixture(scope="session")
def tiny() -> World:
    """The ``tiny`` preset at seed 0."""
    return generate_world("tiny", 0)


@pytest.fixture(scope="session")
def default_world() -> World:
    """The ``default`` preset at seed 0 (the notebooks' world)."""
    return generate_world("default", 0)


@pytest.fixture(autouse=True)
def _no_world_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests generate every world they ask for: the world cache (``MIXLAB_WORLD_CACHE``, set
    by the root conftest for notebook kernels) would hide the generator from the tests that check it.
    Tests of the cache set it themselves."""
    monkeypatch.delenv("MIXLAB_WORLD_CACHE", raising=False)
