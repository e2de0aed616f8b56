"""The synthetic world: a spec (TOML), a known token process, and a fast seeded generator.

The world is mixlab's ground truth. Every domain (web, books, code, ...) is a generative
source with its own document count, heavy-tailed length distribution, quality scores, share of
junk and of exact duplicates. Tokens come from a *known* Markov process, so the irreducible
loss of each domain (its entropy rate) is computed exactly rather than estimated.

The token process
-----------------
Over a shared vocabulary of ``V`` token ids:

* a shared "language" chain ``S`` (``V x V``, row-stochastic). Each row puts Dirichlet weights on
  a random support of ``shared_support`` tokens, mixed with a floor ``floor / k`` on every
  support entry so no weight is vanishingly small;
* a domain chain ``D_d`` per domain, built the same way: a share ``domain_overlap`` of each row's
  support is taken from the same row of ``S`` (the domain re-weights common continuations), the
  rest is drawn from the domain's own token preferences (a random "topic" weight per token, tilted
  towards short or long pieces by ``word_length_bias``);
* domain ``d``'s chain is the blend
  ``P_d = (1 - u) [(1 - lambda_d) S + lambda_d D_d] + u / V`` with ``lambda_d = specificity``
  and ``u = uniform_mix``. Domains share ``S`` and so overlap partly: a model trained on one
  domain helps on another a little;
* junk documents come from a separate low-entropy chain ``J_d`` per domain: a short cycle of the
  domain's tokens followed with probability ``1 - junk_noise`` (boilerplate, repetition). They
  are cheap to predict but teach the wrong statistics.

Irreducibility and aperiodicity: the uniform part ``u / V`` (``u > 0`` is required) makes every
entry of ``P_d`` positive, so every ``P_d`` is irreducible and aperiodic and has a unique
stationary distribution ``pi_d``, computed exactly by a linear solve. It also makes every
cross-entropy between domains finite. Clean documents start from ``pi_d``, so every
transition in them is distributed as ``pi_d(a) P_d(a, b)`` and the expected loss of the true
model per transition is exactly the entropy rate
``H_d = - sum_a pi_d(a) sum_b P_d(a, b) log P_d(a, b)`` (nats/token).

Generation
----------
Each chain row is stored as a small alias table (the support of ``S`` and ``D_d`` side by side,
weighted ``1 - lambda`` and ``lambda``, plus one "uniform" slot of weight ``u`` that is replaced by
a uniform token id), so drawing a next token costs O(1): one uniform number picks a column and
a coin. Documents are laid out domain by domain in one flat ``int32`` array;
generation loops over *positions* (not documents): documents sorted by length, the active ones
at step ``t`` are a prefix, and one vectorized draw extends all of them by one token.

Layout
------
* :mod:`mixlab.world.spec` — the TOML spec, its dataclasses and size limits (``load_spec``);
* :mod:`mixlab.world.process` — the Markov process, stationary laws, entropy rates;
* :mod:`mixlab.world.sampler` — alias tables and the batched, stream-exact token sampler;
* :mod:`mixlab.world.generate` — documents, ``World`` and ``generate_world``.

Hashing and the train/validation disjointness check live in :mod:`mixlab.hashing` (re-exported
here), so the filters never import the world.

Used in: 00 (the world at a glance), 1.1, 1.2, 1.3, 1.4, 1.5 (proxy runs), 1.2 (junk, quality filter), 2.1
(domains), 2.4 (validation sets, irreducible loss), every notebook that needs data.
"""

from mixlab.corpus import Corpus
from mixlab.hashing import DisjointCheck, check_disjoint, document_hashes
from mixlab.world.generate import GENERATOR_VERSION, World, generate_world
from mixlab.world.process import MarkovProcess
from mixlab.world.spec import (
    SCHEMA_VERSION,
    BetaParams,
    DomainSpec,
    ProcessSpec,
    WorldSpec,
    available_presets,
    load_spec,
    worlds_dir,
)

__all__ = [
    "SCHEMA_VERSION",
    "GENERATOR_VERSION",
    "Corpus",
    "BetaParams",
    "DomainSpec",
    "ProcessSpec",
    "WorldSpec",
    "MarkovProcess",
    "World",
    "available_presets",
    "load_spec",
    "generate_world",
    "document_hashes",
    "check_disjoint",
    "DisjointCheck",
    "worlds_dir",
]
