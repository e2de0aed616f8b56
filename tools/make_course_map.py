"""Write notebooks/00-course-map.ipynb from this script (sources only, no outputs).

After running it, execute the notebook so its outputs and counts 1..N are stored::

    .venv/bin/python tools/make_course_map.py
    .venv/bin/mixlab course refresh notebooks/00-course-map.ipynb

Used in: 00 (maintainers regenerate the course map after editing its text here).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "notebooks" / "00-course-map.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """# 00 · Course map

**Data Mixture Optimization, Part 1: from intuition to baseline mixtures.**

A language model learns what it is fed. Before any training run, someone decides how many tokens
come from web pages, books, code, maths, encyclopaedia articles and forums: the *data mixture*.
This course makes that decision concrete, measurable and checkable, on a small synthetic world
that runs offline on a laptop in seconds.

**In this notebook you will**
- see the three chapters and the appendix, and what each section adds;
- learn the three habits every later notebook repeats;
- check that your environment can run the course;
- learn how to run every notebook and the tests, as a learner or as a teacher.""",
    ),
    (
        "md",
        """## The thread: one chain of objects

A data build passes through a chain of objects, and every lesson adds one link together with a
check that fails loudly when the link is broken:

**documents → records (metadata + tokens) → domains → mixture weights → sampling plan → shards + manifest**

Three habits come back in every notebook:

1. **Count and rate.** Every step reports what went in and what came out, for documents *and*
   for tokens: the document acceptance rate $a_{doc} = n_{out}/n_{in}$ and the token acceptance rate
   $a_{tok} = \\sum_{x \\in out} t_x / \\sum_{x \\in in} t_x$. A rate that moves between two runs is a
   warning, even when nothing crashes.
2. **Two views.** Document-weighted and token-weighted numbers side by side. Dropping a few long
   documents can remove a large share of the tokens.
3. **Checked, not assumed.** Mixtures are validated, budgets are checked for feasibility, and
   built datasets are verified against their manifests.""",
    ),
    (
        "md",
        """## What the course covers

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
(3.5), and all of them side by side on one proxy and one budget (3.6).

**Appendix A.1** turns a mixture into a reproducible dataset: sharded records, a manifest with
hashes, verification, resuming an interrupted build, lineage and audit samples.

The section list below comes from `mixlab.course.SECTIONS`, the same list the hygiene tests use
to decide which notebook names are allowed.""",
    ),
    ("code", 'import mixlab\nfrom mixlab.course import SECTIONS\n\nprint("mixlab", mixlab.__version__)'),
    (
        "code",
        """chapters = {"0": "Start here", "1": "Why the mixture matters", "2": "The objects",
            "3": "Baseline mixtures", "A": "Appendix"}
current = None
for section, title in SECTIONS.items():
    chapter = section.split(".")[0] if "." in section else "0"
    if chapter != current:
        print(f"\\n{chapters[chapter]}")
        current = chapter
    print(f"  {section:>4}  {title}")""",
    ),
    (
        "md",
        """## The synthetic world

Every number in the course comes from `mixlab`'s own generator, never from a download. The world
has a handful of named domains that behave like real sources: many short encyclopaedia pages, few
but very long books, a large and noisy web crawl with junk documents (boilerplate and repetition,
which tend to be long), plus code, maths and forum threads. Tokens come from a known random
process over a shared vocabulary, partly shared between domains and partly domain-specific, so
training on one domain helps another a little. Because the process is known, the lowest loss any
model could reach on each domain can be computed exactly, and a fitted method can be checked
against the truth. The same seed gives the same world on every machine.""",
    ),
    (
        "md",
        """## Checks fail fast, and say why

Every public `mixlab` function checks its arguments at the boundary and raises an error that
names the argument, the broken condition and the offending value. The cell below asks for a
negative random seed on purpose; it is tagged `raises-exception`, so the course tests expect the
error rather than treat it as a failure.""",
    ),
    ("code:raises", "from mixlab.validation import check_seed\n\ncheck_seed(-1)"),
    ("code", "check_seed(2024)"),
    (
        "md",
        """## Environment check

The cell below prints the versions this notebook ran with. They differ from machine to machine,
so the cell is marked `# NBVAL_IGNORE_OUTPUT` and the tests do not compare its output. From a
terminal, `mixlab doctor` runs a fuller check: required packages and their minimum versions,
whether a Jupyter kernel starts with this Python, and whether the widgets extension that draws the
sliders is installed.""",
    ),
    (
        "code",
        """# NBVAL_IGNORE_OUTPUT
import platform
from importlib.metadata import version

print("python", platform.python_version())
for package in ["numpy", "pandas", "scipy", "matplotlib", "ipywidgets", "jupyterlab"]:
    print(f"{package:<11}", version(package))""",
    ),
    (
        "md",
        """## How to run the course

*As a learner*, from a fresh clone on Linux with Python 3.11 or newer:

```bash
python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/jupyter lab notebooks/
```

Open the notebooks in order and run each one top to bottom (*Run → Restart Kernel and Run All
Cells*). Every notebook runs offline in a few seconds.

*As a teacher*, before a class: `.venv/bin/mixlab doctor` checks the machine, and
`.venv/bin/mixlab course run` executes every notebook headless, in order, without modifying the
files, printing each notebook's wall time and naming the notebook and cell if one fails.

*As a maintainer*: the whole test suite (unit tests plus a strict nbval run of every notebook,
comparing outputs with the stored ones) is

```bash
python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/python -m pytest
```

After a change that is *meant* to change a notebook's outputs, re-execute it in place with
`.venv/bin/mixlab course refresh notebooks/<name>.ipynb` and review the diff before committing.""",
    ),
    (
        "md",
        """## Summary

- The course follows one chain of objects, from documents to a verified dataset; each lesson
  adds one object and one check.
- Every step is counted twice, by documents and by tokens.
- `mixlab doctor` checks the environment, `mixlab course run` runs every notebook, and `pytest`
  holds every notebook to its stored outputs.

## Exercise

Which section would you open to find out why a filter that removes 5 % of documents can remove
30 % of the tokens? Write the section number, then reveal the answer.

<details><summary>Answer</summary>

Section 1.2, *Not all tokens have equal value*: it compares document and token acceptance
rates in a ledger. Section 2.1 (*Domains*) shows the same two views for domain shares.
</details>""",
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
        elif kind == "code":
            cells.append(new_code_cell(text))
        elif kind == "code:raises":
            cells.append(new_code_cell(text, metadata={"tags": ["raises-exception"]}))
        else:
            raise ValueError(f"cell kind must be 'md', 'code' or 'code:raises' (got {kind!r})")
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
