"""Tests for mixlab.course.course_table and SUMMARIES: the course map's table of notebooks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mixlab.course import MISSING_FILE, SECTIONS, SUMMARIES, course_table, list_notebooks

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
RUNTIME_COLUMN = "seconds (last refresh)"


def _touch(directory: Path, *names: str) -> None:
    for name in names:
        (directory / name).write_text("{}", encoding="utf-8")


def test_every_section_has_a_summary() -> None:
    assert list(SUMMARIES) == list(SECTIONS)
    for section, text in SUMMARIES.items():
        assert text.strip(), f"section {section} has an empty summary"
        assert "\n" not in text, f"section {section}'s summary must be one line"


def test_table_lists_exactly_the_notebooks_present(tmp_path: Path) -> None:
    _touch(tmp_path, "2.1-domains.ipynb", "00-course-map.ipynb", "scratch.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook", encoding="utf-8")
    table = course_table(tmp_path)
    assert list(table.index) == [*SECTIONS, "?"]
    assert list(table.columns) == ["title", "file", "summary"]
    present = table.loc[table["file"] != MISSING_FILE, "file"]
    assert list(present) == ["00-course-map.ipynb", "2.1-domains.ipynb", "scratch.ipynb"]
    assert table.loc["2.1", "title"] == SECTIONS["2.1"] and table.loc["2.1", "summary"] == SUMMARIES["2.1"]
    assert table.loc["1.1", "file"] == MISSING_FILE
    assert table.loc["?", "title"] == "(not a course section)"
    missing = [s for s in SECTIONS if s not in ("00", "2.1")]
    assert table.attrs["caption"] == f"3 notebooks; sections without a notebook yet: {', '.join(missing)}"


def test_table_of_the_real_course_matches_list_notebooks() -> None:
    table = course_table(NOTEBOOKS)
    present = [name for name in table["file"] if name != MISSING_FILE]
    assert present == [p.name for p in list_notebooks(NOTEBOOKS)]


def test_runtime_column_comes_from_the_report(tmp_path: Path) -> None:
    _touch(tmp_path, "00-course-map.ipynb", "1.1-weights.ipynb", "2.1-domains.ipynb")
    report = tmp_path / "runtimes.csv"
    report.write_text(
        "notebook,section,seconds,status,budget 10 s\n"
        "00-course-map.ipynb,00,2.42,ok,within\n"
        "1.1-weights.ipynb,1.1,12.5,FAILED,OVER\n"
        "gone.ipynb,1.2,1.0,ok,within\n",
        encoding="utf-8",
    )
    table = course_table(tmp_path, report=report)
    assert list(table.columns) == ["title", "file", "summary", RUNTIME_COLUMN]
    assert table.loc["00", RUNTIME_COLUMN] == 2.42
    assert table.loc["1.1", RUNTIME_COLUMN] == 12.5
    assert math.isnan(table.loc["2.1", RUNTIME_COLUMN])  # present but not in the report
    assert math.isnan(table.loc["1.2", RUNTIME_COLUMN])  # in the report but no longer present
    caption = table.attrs["caption"]
    assert "measured on the maintainers' machine at the last refresh (runtimes.csv), not in this run" in caption
    assert "2 of 3 notebooks measured, 15 s in total; failed then: 1.1-weights.ipynb" in caption


@pytest.mark.parametrize(
    "text,pattern",
    [
        ("notebook,secs,status\n00-course-map.ipynb,1.0,ok\n", r"must have the columns .*missing: seconds"),
        ("notebook,seconds,status\n00-course-map.ipynb,fast,ok\n", r"seconds must be non-negative numbers .*'fast'"),
        ("notebook,seconds,status\n00-course-map.ipynb,-1,ok\n", r"seconds must be non-negative numbers"),
        (
            "notebook,seconds,status\n00-course-map.ipynb,1,ok\n00-course-map.ipynb,2,ok\n",
            r"each notebook once \(repeated: 00-course-map.ipynb\)",
        ),
        ("", r"not a readable CSV runtime report"),
        ('notebook,seconds,status\n"00,1,ok\n', r"runtimes.csv"),
    ],
)
def test_malformed_report_gives_a_clear_error(tmp_path: Path, text: str, pattern: str) -> None:
    _touch(tmp_path, "00-course-map.ipynb")
    report = tmp_path / "runtimes.csv"
    report.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=pattern):
        course_table(tmp_path, report=report)


def test_absent_report_means_not_measured(tmp_path: Path) -> None:
    # a copy of the notebooks without the report (e.g. a student copy) still gets its table
    _touch(tmp_path, "00-course-map.ipynb")
    table = course_table(tmp_path, report=tmp_path / "runtimes.csv")
    assert table[RUNTIME_COLUMN].isna().all()
    assert "not measured (no runtime report runtimes.csv next to the notebooks)" in table.attrs["caption"]


def test_bad_report_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="not a directory"):
        course_table(tmp_path, report=tmp_path)
    with pytest.raises(NotADirectoryError):
        course_table(tmp_path / "nope")
