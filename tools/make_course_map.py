"""Write notebooks/00-course-map.ipynb from this script (sources only, no outputs).

After running it, execute the notebook so its outputs and counts 1..N are stored. The notebook's
table of notebooks reads the wall-time report ``notebooks/runtimes.csv``, so write that first
(it runs every notebook) and refresh the course map last::

    .venv/bin/python tools/make_course_map.py
    .venv/bin/mixlab course run --report notebooks/runtimes.csv
    .venv/bin/mixlab course refresh notebooks/00-course-map.ipynb

Used in: 00 (maintainers regenerate the course map after editing its text here).
"""

from __future__ import annotations

import copy
import hashlib
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "notebooks" / "00-course-map.ipynb"

#: Cell kinds: ``md`` (Markdown), ``code``, and code cells with a role: ``code:raises`` (tagged
#: ``raises-exception``), ``code:ignore-output`` (tagged ``nbval-ignore-output``: the tests do not
#: compare its output), ``code:exercise``, ``code:check`` and ``code:solution`` (tagged
#: ``solution`` and collapsed, as in every lesson; ``mixlab course student`` drops it).
CELL_KINDS: dict[str, dict[str, object]] = {
    "code": {},
    "code:raises": {"tags": ["raises-exception"]},
    "code:ignore-output": {"tags": ["nbval-ignore-output"]},
    "code:exercise": {"tags": ["exercise"]},
    "code:check": {"tags": ["check"]},
    "code:solution": {"tags": ["solution"], "jupyter": {"source_hidden": True, "outputs_hidden": True}},
}

CELLS: list[tuple[str, str]] = [
    (
        "md",
        r"""# 00 · Course map

**Data Mixture Optimization, Part 1: from intuition to baseline mixtures.**

A language model learns what it is fed. Before any training run, someone decides how many tokens
come from web pages, books, code, maths, encyclopaedia articles and forums: the *data mixture*.
This course makes that decision concrete, measurable and checkable, on a small synthetic world
that runs offline on a laptop in seconds.

## Learning goals

- See the three chapters and the appendix, and every notebook of the course with a one-line
  summary and how long it takes to run;
- Meet the synthetic world every lesson uses: its domains in the document and the token view,
  and the loss floor no model can beat;
- Learn the three habits every later notebook repeats, and how its checks fail;
- Try the two interactive pieces of the course: widgets you can drive from code, and exercises
  that check your answer;
- Check your environment, and learn how to run the notebooks and the tests.""",
    ),
    (
        "code",
        r"""%matplotlib inline
%xmode Minimal
import matplotlib.pyplot as plt
import pandas as pd

import mixlab
from mixlab.course import course_table
from mixlab.domains import domain_stats
from mixlab.exercises import check, exercise, exercise_overview, predict
from mixlab.mixers import proportional
from mixlab.plots import mixture_bars
from mixlab.widgets import MixtureEditor
from mixlab.world import generate_world

print("mixlab", mixlab.__version__)
pd.set_option("display.precision", 4)
pd.set_option("display.width", 140)""",
    ),
    (
        "md",
        r"""## The thread: one chain of objects

A data build passes through a chain of objects, and every lesson adds one link together with a
check that fails loudly when the link is broken:

**documents → records (metadata + tokens) → domains → mixture weights → sampling plan → shards + manifest**

Three habits come back in every notebook:

1. **Count and rate.** Every step reports what went in and what came out, for documents *and*
   for tokens: the document acceptance rate $a_{doc} = n_{out}/n_{in}$ and the token acceptance rate
   $a_{tok} = \sum_{x \in out} t_x / \sum_{x \in in} t_x$. A rate that moves between two runs is a
   warning, even when nothing crashes (lesson 1.2 tests for such drift).
2. **Two views.** Document-weighted and token-weighted numbers side by side. Dropping a few long
   documents can remove a large share of the tokens.
3. **Checked, not assumed.** Mixtures are validated, budgets are checked for feasibility, and
   built datasets are verified against their manifests.""",
    ),
    (
        "md",
        r"""## What the course covers

**Chapter 1: Why the mixture matters.** With the same model and the same token budget, changing
only the mixture changes which domains the model is good at (1.1). Tokens differ in value:
junk, quality filtering, diminishing returns and repetition (1.2). Choosing a mixture is an
optimization over the probability simplex (the set of weight vectors whose entries are
non-negative and sum to 1) with caps from the budget (1.3). Small *proxy* models
stand in for the expensive target model, and we measure when their rankings can be trusted (1.4).
Published methods (DataComp, DoReMi, data mixing laws, RegMix) are run in miniature (1.5).

**Chapter 2: The objects.** Domains as a labelled partition of the corpus (2.1); the mixture
vector, its validation, conversions and distances (2.2); sampling documents so the realized
mixture matches the target (2.3); the validation objective that says what "better" means (2.4);
the token budget, epochs and repetition caps (2.5).

**Chapter 3: Baseline mixtures.** Uniform by document (3.1), uniform by token (3.2),
proportional to source size (3.3), hand-tuned weights (3.4), temperature smoothing and UniMax
(3.5), and all of them side by side with an optimized mixture, under four objectives (3.6).

**Appendix A.1** turns a mixture into a reproducible dataset: sharded records, a manifest with
hashes, verification, resuming an interrupted build, lineage and audit samples.

### Every notebook, and how long it takes

The table below is built when this notebook runs, by `mixlab.course.course_table`: the files are
the notebooks that exist (found by `mixlab.course.list_notebooks`, in course order), the titles
come from `mixlab.course.SECTIONS`, the same list the hygiene tests use to decide which file names
are allowed, and the one-line summaries from `mixlab.course.SUMMARIES`. A section without a
notebook would show `(missing)` in the `file` column.

The **seconds (last refresh)** column is *not* measured in this run. It is read from `notebooks/runtimes.csv`, the
wall-time report the maintainers write with `mixlab course run --report notebooks/runtimes.csv`
each time they refresh the notebooks, on their own machine (a shared 2-core Linux box). Expect
different numbers on yours; every notebook is meant to run in a few seconds, 10 s at most.""",
    ),
    (
        "code",
        r"""course = course_table(".", report="runtimes.csv")  # this notebook runs in notebooks/
print(course.attrs["caption"])
with pd.option_context("display.precision", 1, "display.max_colwidth", None):
    display(course)""",
    ),
    (
        "md",
        r"""## The synthetic world at a glance

Every number in the course comes from `mixlab`'s own generator, never from a download. The
`default` world has six named domains that behave like real sources: many short encyclopaedia
pages, few but very long books, a large and noisy web crawl with junk documents (boilerplate and
repetition, which tend to be long), plus code, maths and forum threads. Tokens come from a known
random process over a shared vocabulary, partly shared between domains and partly
domain-specific, so training on one domain helps another a little. The same seed gives the same
world on every machine; the lessons use `generate_world("default", seed=0)`.

First the document view alone: how many training documents each domain has.""",
    ),
    (
        "code",
        r"""world = generate_world("default", seed=0)
doc_counts = world.train.doc_counts()
print(f"{len(world.domains)} domains, {int(doc_counts.sum()):,} training documents:", doc_counts.to_dict())""",
    ),
    (
        "md",
        r"""**Predict, then run.** Commit to a prediction before the next cells show the token view:""",
    ),
    ("code", r"""exercise("00/books-token-share")"""),
    ("code:exercise", r'''prediction = ...  # one letter: "a", "b", "c" or "d"'''),
    ("code:check", r"""predict("00/books-token-share", prediction)"""),
    (
        "code:solution",
        r"""prediction = "b"  # long documents: a token share many times the document share, still a small one

predict("00/books-token-share", prediction)""",
    ),
    (
        "md",
        r"""`World.summary()` describes each domain in both views: documents and tokens, lengths, shares,
how much of it is junk, the held-out validation set, and the **entropy rate**: the average
uncertainty of the true generating process about the next token, in **nats per token** (the
natural-log unit of information; divide by $\ln 2$ for bits). It is the lowest loss any model could
reach on that domain.""",
    ),
    (
        "code",
        r"""summary = world.summary()
print(f"{int(summary['tokens'].sum()):,} training tokens; {int(summary['val_docs'].sum()):,} validation documents")
summary[["docs", "tokens", "mean_length", "median_length", "doc_share", "token_share", "junk_docs",
         "junk_token_share", "val_docs", "entropy_rate"]]""",
    ),
    (
        "md",
        r"""Three things to notice.

- **The two views disagree.** Books are a sliver of the documents but a several times larger share
  of the tokens, because every book is long; wiki is the reverse, many short pages that add up to
  a small share of the tokens. Compare `doc_share` with `token_share`, and look at `mean_length`.
- **Junk is rare by documents and common by tokens.** Only a small minority of web documents are
  junk, but junk documents are long, so they hold a far larger share of web's tokens
  (`junk_docs` against `junk_token_share`; lesson 1.2, and the last exercise below).
- **Every domain has a floor.** Because the generating process is known, its entropy rate
  $L_j^*$ is the lowest validation loss any model could reach on domain $j$. Every proxy loss in
  the course sits above it. The gap, the *excess* $L_j - L_j^*$, has three parts: too few tokens
  (estimation), too small a model (capacity) and domains competing for the same parameters
  (interference). Only the first shrinks with more data; lesson 1.1 (section 6) measures how much
  of the gap ten times the tokens buy at the course's proxy capacity, and what buys more.

The same table in a picture: each domain's share of the documents and of the tokens. They are
the two readings of the "natural" mixture, proportional by documents and by tokens (3.3).""",
    ),
    (
        "code",
        r"""stats = domain_stats(world.train)
natural = {"documents": proportional(stats, by="docs"), "tokens": proportional(stats, by="tokens")}
mixture_bars(natural, title="The default world: each domain's share of the documents and of the tokens")
plt.show()""",
    ),
    (
        "md",
        r"""## Notation

Every lesson uses the same symbols, each with one meaning:

| symbol | meaning |
| --- | --- |
| $i, j$ | domain indices; $k$ = number of domains (6 here), never anything else |
| $N_i$, $T_i$ | documents and tokens in domain $i$; $t_x$ tokens in document $x$; $\bar t_i = T_i / N_i$ mean length |
| $w$, $w^{doc}$ | token weights (the mixture) and document weights, on the simplex $\Delta^{k-1}$ |
| $p_i$ | natural (source-proportional) share, the input of temperature sampling |
| $T$, $\alpha = 1/T$ | sampling temperature and its exponent, $w_i \propto p_i^{\alpha}$; $\alpha$ means nothing else |
| $B$, $e_i$ | token budget; epochs $e_i = w_i B / T_i$ of domain $i$ |
| $E_{\max}$, $u_i$ | epoch cap; $u_i = \min(1, E_{\max} T_i / B)$, the cap it puts on $w_i$ |
| $C$, $N_{params}$, $D$ | compute $\approx 6 N_{params} D$, with $D$ training tokens |
| $L_j$ | validation loss on domain $j$, in nats per token |
| $L_j^*$ | domain $j$'s irreducible loss, the entropy rate of its generating process: the floor |
| $L_j - L_j^*$ | excess loss over the floor; "worst" always means $\max_j (L_j - L_j^*)$ |
| $L_j^{ref}$, $\lambda_j$ | DoReMi's reference-model loss and per-domain excess weight |
| $\eta$, $\varepsilon$ | DoReMi's step size and smoothing |
| $s_j$ | weights of a target-weighted objective |
| $H(w)$ | entropy $-\sum_i w_i \ln w_i$ (nats); $e^{H}$ the effective number of domains; $H$ means nothing else |
| $\kappa$ | the proxy's additive smoothing constant |
| $\beta$ | a Dirichlet concentration (RegMix's mixture sampler) |
| $\rho$ | Spearman rank correlation |
| mixing law | $L_i(w) = c_i + b_i \exp(\sum_j \theta_{ij} w_j)$ (Ye et al. write $k_i$ and $t_{ij}$; 1.5 says so) |

Two terms recur: a **nat** is the unit of a loss measured with the natural logarithm, and a
**proxy** is a small model trained on a mixture to stand in for the expensive target model (1.1
introduces it, 1.4 asks when it can be trusted).""",
    ),
    (
        "md",
        r"""## Checks fail fast, and say why

Every public `mixlab` function checks its arguments at the boundary and raises an error that
names the argument, the broken condition and the offending value. The cell below asks for a
negative random seed on purpose; it is tagged `raises-exception`, so the course tests expect the
error rather than treat it as a failure. The setup cell's `%xmode Minimal` keeps the error to its
message: the library's internal frames are not part of the lesson. Every lesson has at least one
such cell next to the same check passing.""",
    ),
    ("code:raises", r"""from mixlab.validation import check_seed

check_seed(-1)"""),
    ("code", r"""check_seed(2024)"""),
    (
        "md",
        r"""## Widgets: move a slider, or drive it from code

Some lessons have interactive explorers (ipywidgets): sliders that change a mixture and redraw a
table or a figure. Each comes in two cells. The first *displays* the widget; move its sliders in
JupyterLab and watch it update. (That cell carries the `nbval-ignore-output` tag, because a
widget's display is not a number the tests can hold; opened before it has run, it shows a line
asking you to run it.) The second builds a twin of the widget and *drives it from code*, exactly as
a slider would, and prints the resulting state: the interaction is tested without a browser, and
the widget you see stays as you left it.

Here is the mixture editor of lesson 3.4: one slider per domain holds a raw importance value,
normalized explicitly, and kept within the repetition caps of a 6-million-token run (at most 4
passes over any domain; lesson 2.5).""",
    ),
    (
        "code:ignore-output",
        r"""editor = MixtureEditor(list(stats.index), sizes=stats, budget=6_000_000, max_epochs=4,
                       rationale="start from uniform")
editor.widget""",
    ),
    (
        "code",
        r"""twin = MixtureEditor(list(stats.index), sizes=stats, budget=6_000_000, max_epochs=4,
                     rationale="start from uniform")
twin.sliders["books"].value = 2.0  # exactly what dragging the books slider to 2 does
state = twin.state()
print(f"status: {state['status']}; binding caps: {state['binding']}")
pd.DataFrame({"raw": state["raw"], "normalized": state["normalized"], "cap": state["caps"],
              "weight used": state["weights"]})""",
    ),
    (
        "md",
        r"""Raising books to twice the others asks for more books than the run may read four times over,
and math, a small domain, is over its cap even at an equal share. The editor then uses the closest
mixture that respects every cap (the projection onto the capped simplex, taught in 2.5): books and
math drop to their caps, and the weight they free is added in equal amounts to the domains still
below theirs. That would lift wiki past its own cap, so wiki stops at its cap: it is raised to it,
where books and math were pushed down to theirs. Web, code and forum share the rest equally, and
the editor names every binding cap.""",
    ),
    (
        "md",
        r"""## Environment check

The cell below prints the versions this notebook ran with. They differ from machine to machine,
so the cell carries the `nbval-ignore-output` tag and the tests do not compare its output. From a
terminal, `mixlab doctor` runs a fuller check: required packages and their minimum versions,
whether a Jupyter kernel starts with this Python, and whether the widgets extension that draws the
sliders is installed.""",
    ),
    (
        "code:ignore-output",
        r"""import platform
from importlib.metadata import version

print("python", platform.python_version())
for package in ["numpy", "pandas", "scipy", "matplotlib", "ipywidgets", "jupyterlab"]:
    print(f"{package:<11}", version(package))""",
    ),
    (
        "md",
        r"""## How to run and test the course

*As a learner*, from a fresh clone on Linux with Python 3.11 or newer:

```bash
python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/jupyter lab notebooks/
```

Open the notebooks in order and run each one top to bottom (*Run → Restart Kernel and Run All
Cells*). Every notebook runs offline in a few seconds.

*As a teacher*, before a class:

```bash
.venv/bin/mixlab doctor        # Python, required packages, a Jupyter kernel, the widgets extension
.venv/bin/mixlab course run    # execute every notebook headless, in order; the files are not modified
```

`mixlab course run` prints each notebook's wall time and names the notebook and cell if one fails.
With `--report runtimes.csv` (or `.md`) it also writes the wall-time table, the file the runtime
column above is read from; with `--budget` it fails if a notebook takes more than 10 s.

*As a maintainer*: the whole test suite (unit tests plus a strict nbval run of every notebook,
comparing its outputs with the stored ones) is

```bash
python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/python -m pytest
```

After a change that is *meant* to change a notebook's outputs, re-execute it in place with
`.venv/bin/mixlab course refresh notebooks/<name>.ipynb` and review the diff before committing.
This notebook's own table changes when a notebook is added or the runtime report is rewritten, so
refresh it last: `mixlab course run --report notebooks/runtimes.csv`, then
`mixlab course refresh notebooks/00-course-map.ipynb`.""",
    ),
    (
        "md",
        r"""## Summary

- The course follows one chain of objects, from documents to a verified dataset; each lesson
  adds one object and one check that fails fast.
- Every step is counted twice, by documents and by tokens, and the two views can disagree by a wide
  margin: a few long documents (books, web junk) weigh far more in tokens than in documents.
- Each domain has a floor $L_j^*$ (its entropy rate) that no model can beat. The excess above it
  is estimation, capacity and interference, and more data buys only the first (1.1 measures it).
- Widgets come with a cell that drives them from code; exercises are registered in `mixlab`, and
  each comes with a one-call check and a collapsed solution.
- `mixlab doctor` checks the environment, `mixlab course run` runs every notebook (and reports wall
  times), and `pytest` holds every notebook to its stored outputs.""",
    ),
    (
        "md",
        r"""## Exercises: predict, implement, compute

Every lesson has exercises. Each is registered in `mixlab.exercises` with its reference answer, its
tolerance and hints that name the usual mistakes, and appears as four cells:

1. a **header** cell, `exercise("…")`, showing the task, its kind and an estimated time;
2. an **exercise** cell with a stub for your work: `answer = ...`, `prediction = ...`, or a function
   whose body raises `NotImplementedError` until you write it;
3. a **check** cell, one call such as `check("…", answer)`, that says ✓ with a confirmation, or ✗
   with what looks wrong (a percentage where a fraction belongs, document weights where token
   weights were asked, a reciprocal, …) without giving the expected value away; on an untouched
   stub it just says "not yet";
4. a collapsed **solution** cell: open it to see a worked answer that passes the same check.

The kinds: *predict* (commit to one lettered option before the cells that reveal the answer),
*implement* (write a function from the lesson; the check runs it on hidden random cases against
mixlab's own implementation and reports the first case it gets wrong) and *compute* (a value that is
printed nowhere in the notebook). Teachers can hand out copies without the solutions:
`mixlab course student OUT` writes every notebook with the solution cells removed and the exercise
and check outputs cleared. This notebook has one exercise of each kind: the prediction about books
above, and the two below.""",
    ),
    ("code", r"""exercise("00/implement-two-views")"""),
    (
        "code:exercise",
        r'''def two_views(domain, n_tokens):
    """Each domain's share of the documents and of the tokens (inputs: one entry per document)."""
    # your code here
    raise NotImplementedError("write two_views")''',
    ),
    ("code:check", r"""check("00/implement-two-views", two_views)"""),
    (
        "code:solution",
        r'''def two_views(domain, n_tokens):
    """Each domain's share of the documents and of the tokens (inputs: one entry per document)."""
    docs = domain.value_counts(sort=False)  # documents per domain
    tokens = n_tokens.groupby(domain).sum()  # tokens per domain: each document counts with its length
    return pd.DataFrame({"doc_share": docs / docs.sum(), "token_share": tokens / tokens.sum()})


check("00/implement-two-views", two_views)''',
    ),
    ("code", r"""exercise("00/web-share-after-junk")"""),
    ("code:exercise", r"""answer = ..."""),
    ("code:check", r"""check("00/web-share-after-junk", answer, summary)"""),
    (
        "code:solution",
        r"""clean_tokens = summary["tokens"] * (1 - summary["junk_token_share"])  # every domain loses its junk
answer = clean_tokens["web"] / clean_tokens.sum()

check("00/web-share-after-junk", answer, summary)""",
    ),
    (
        "md",
        r"""### Closing note

The exercises of this notebook with their kind and estimated time. None of them asks for a value
printed in the notebook: the prediction comes before the cells that answer it, and the course tests
check that no reference answer appears in the student copy.""",
    ),
    ("code", r"""exercise_overview("00")"""),
]


def _kept_ids(cells: list[nbformat.NotebookNode], previous: Path) -> None:
    """Give each cell the id of the previous notebook's cell with the same type and source, else a stable one.

    Unchanged cells keep their ids (a review diff shows only what changed); a new or edited cell
    gets an id derived from its type and source, so running the script twice gives the same file.
    """
    old: dict[tuple[str, str], list[str]] = {}
    if previous.is_file():
        for cell in nbformat.read(str(previous), as_version=4).cells:
            old.setdefault((cell.cell_type, cell.source), []).append(cell["id"])
    taken: set[str] = set()
    for cell in cells:
        same = [i for i in old.get((cell.cell_type, cell.source), []) if i not in taken]
        cid = same[0] if same else hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        while cid in taken:
            cid = hashlib.sha1(cid.encode()).hexdigest()[:8]
        cell["id"] = cid
        taken.add(cid)


def build(previous: Path | None = None) -> nbformat.NotebookNode:
    """Build the course-map notebook (unexecuted) from :data:`CELLS`.

    Parameters
    ----------
    previous : pathlib.Path, optional
        The notebook being replaced: cells whose source did not change keep their ids.

    Used in: 00 (this script's only job).
    """
    from mixlab.exercises.cells import collapse_solutions

    cells = []
    for kind, text in CELLS:
        if kind == "md":
            cells.append(new_markdown_cell(text))
        elif kind in CELL_KINDS:
            cells.append(new_code_cell(text, metadata=copy.deepcopy(CELL_KINDS[kind])))
        else:
            raise ValueError(f"cell kind must be 'md' or one of {', '.join(CELL_KINDS)} (got {kind!r})")
    _kept_ids(cells, previous or TARGET)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    collapse_solutions(nb)
    return nb


if __name__ == "__main__":
    notebook = build()
    nbformat.validate(notebook)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    tmp = TARGET.with_suffix(".ipynb.tmp")
    nbformat.write(notebook, str(tmp))
    tmp.replace(TARGET)
    rel = TARGET.relative_to(ROOT)
    print(f"wrote {rel}; now run: mixlab course refresh {rel}", file=sys.stderr)
