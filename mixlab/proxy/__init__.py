"""Proxy language models: small real models trained on tokens sampled from a mixture.

A bigram model trained by counting, with a capacity knob (hashed context buckets) and a budget
knob (training tokens), in two modules: :mod:`mixlab.proxy.model` (the model, its
configuration, transitions and held-out counts) and :mod:`mixlab.proxy.runs` (the training
documents of a mixture, training and evaluating a proxy, sweeps and their tables). Every name is
importable from ``mixlab.proxy``, as the lessons do.

Used in: 1.1 (skill profiles), 1.2 (marginal value of tokens), 1.3, 1.4 (proxy vs target),
1.5 (DoReMi, mixing laws, RegMix), 2.4 (objectives), 3.1, 3.2, 3.3, 3.4, 3.5, 3.6 (baselines
compared).
"""

from mixlab.proxy.model import (
    PROXY,
    TARGET,
    BigramLM,
    ProxyConfig,
    TransitionCounts,
    transitions,
    validation_transitions,
)
from mixlab.proxy.runs import (
    ProxyRun,
    held_out,
    mean_losses,
    pair_codes,
    profile_summary,
    skill_profile,
    sweep,
    train_on_rows,
    train_proxy,
    training_rows,
)

__all__ = [
    "BigramLM",
    "ProxyRun",
    "train_proxy",
    "train_on_rows",
    "training_rows",
    "skill_profile",
    "sweep",
    "mean_losses",
    "profile_summary",
    "ProxyConfig",
    "PROXY",
    "TARGET",
    "TransitionCounts",
    "transitions",
    "validation_transitions",
    "pair_codes",
    "held_out",
]
