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
    "code:solution": {"tags": ["solution"], "jupyter": {"source_hidden": True}},
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
import matplotlib.pyplot as plt
import pandas as pd

import mixlab
from mixlab.course import course_table
from mixlab.domains import domain_stats
from mixlab.exercises import check_number, check_ranking
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
   warning, even when nothing crashes.
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
optimization over the probability simplex with caps from the budget (1.3). Small *proxy* models
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

`World.summary()` describes each domain in both views: documents and tokens, lengths, shares,
how much of it is junk, the held-out validation set, and the **entropy rate**.""",
    ),
    (
        "code",
        r"""world = generate_world("default", seed=0)
summary = world.summary()
print(f"{len(world.domains)} domains: {int(summary['docs'].sum()):,} training documents, "
      f"{int(summary['tokens'].sum()):,} tokens; {int(summary['val_docs'].sum()):,} validation documents")
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
  (`junk_docs` against `junk_token_share`; lesson 1.2, and Exercise 3 below).
- **Every domain has a floor.** Because the generating process is known, its entropy rate
  $H_j$ (nats/token) is the lowest validation loss any model could reach on domain $j$. Every proxy
  loss in the course sits above it, and only the gap above it can be bought with data.

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
        r"""## Checks fail fast, and say why

Every public `mixlab` function checks its arguments at the boundary and raises an error that
names the argument, the broken condition and the offending value. The cell below asks for a
negative random seed on purpose; it is tagged `raises-exception`, so the course tests expect the
error rather than treat it as a failure. Every lesson has at least one such cell next to the
same check passing.""",
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
so books stop at their cap. Math and wiki, also small, are held at theirs even with equal raw
values; the editor names every binding cap, and web, code and forum share the rest equally.""",
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
- Each domain has an entropy floor, the loss no model can beat; the course measures what data can
  buy above it.
- Widgets come with a cell that drives them from code; exercises come with a checker and a
  collapsed solution.
- `mixlab doctor` checks the environment, `mixlab course run` runs every notebook (and reports wall
  times), and `pytest` holds every notebook to its stored outputs.""",
    ),
    (
        "md",
        r"""## Exercises: edit, check, reveal

Every lesson ends with exercises, each in the same four parts:

1. a Markdown cell with the task;
2. an **exercise** cell holding a stub, `answer = ...`, which you replace with your answer;
3. a **check** cell that calls a checker from `mixlab.exercises` on `answer`. It returns a
   *Verdict*: ✅ with a confirmation, or ❌ with what looks wrong (a percentage where a fraction
   belongs, document weights where token weights were asked, a factor of 100 …) and hints,
   without giving the expected value away. On the untouched stub it says it could not read an answer;
4. a collapsed **solution** cell: click it to reveal a worked answer that passes the same check.
   Prose answers use `reveal(...)`, which shows a collapsed "Show solution" block.

Teachers can hand out copies without the solutions: `mixlab course student OUT` writes every
notebook with the solution cells removed and the exercise and check outputs cleared. Try it here.""",
    ),
    (
        "md",
        r"""**Exercise 1: two views of books.** What fraction of the training *tokens* of the default world
are books? Use `stats` (or `summary`) and give a number between 0 and 1.""",
    ),
    ("code:exercise", r"""answer = ...  # books' share of the training tokens"""),
    (
        "code:check",
        r"""check_number(answer, stats.loc["books", "tokens"] / stats["tokens"].sum(), what="books' token share")""",
    ),
    (
        "code:solution",
        r"""answer = stats.loc["books", "tokens"] / stats["tokens"].sum()
print(f"books: {answer:.4f} of the tokens, {stats.loc['books', 'docs'] / stats['docs'].sum():.4f} of the documents")
check_number(answer, stats.loc["books", "tokens"] / stats["tokens"].sum(), what="books' token share")""",
    ),
    (
        "md",
        r"""**Exercise 2: lengths.** Rank the six domains by their *mean* document length, longest first.
Give a list of domain names.""",
    ),
    ("code:exercise", r"""answer = ...  # e.g. ["books", ...], longest mean length first"""),
    (
        "code:check",
        r"""check_ranking(answer, summary["mean_length"].sort_values(ascending=False).index, what="domains")""",
    ),
    (
        "code:solution",
        r"""answer = list(summary["mean_length"].sort_values(ascending=False).index)
print(answer)
check_ranking(answer, summary["mean_length"].sort_values(ascending=False).index, what="domains")""",
    ),
    (
        "md",
        r"""**Exercise 3: junk in two views.** What fraction of web's training *tokens* sit in junk
documents? Use `summary` and give a number between 0 and 1. Then compare it with the fraction of
web *documents* that are junk: lesson 1.2 (*Not all tokens have equal value*) explains why a filter
that removes few documents can remove many tokens.""",
    ),
    ("code:exercise", r"""answer = ...  # junk's share of web's training tokens"""),
    (
        "code:check",
        r"""check_number(answer, summary.loc["web", "junk_token_share"], what="junk share of web's tokens")""",
    ),
    (
        "code:solution",
        r"""answer = summary.loc["web", "junk_token_share"]
junk_doc_share = summary.loc["web", "junk_docs"] / summary.loc["web", "docs"]
print(f"web junk: {junk_doc_share:.4f} of the documents, {answer:.4f} of the tokens")
check_number(answer, summary.loc["web", "junk_token_share"], what="junk share of web's tokens")""",
    ),
]


def build() -> nbformat.NotebookNode:
    """Build the course-map notebook (unexecuted) from :data:`CELLS`.

    Used in: 00 (this script's only job).
    """
    cells = []
    for kind, text in CELLS:
        if kind == "md":
            cells.append(new_markdown_cell(text))
        elif kind in CELL_KINDS:
            cells.append(new_code_cell(text, metadata=copy.deepcopy(CELL_KINDS[kind])))
        else:
            raise ValueError(f"cell kind must be 'md' or one of {', '.join(CELL_KINDS)} (got {kind!r})")
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
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
