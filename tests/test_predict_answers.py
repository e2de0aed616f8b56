"""Predict questions whose letter is stated in the catalog (and numbers a statement quotes) agree with the data.

Some predictions are about results that take a second or more to measure (many proxy runs);
their catalogs state the letter instead of computing it in the lesson, and each catalog keeps
the function that measures it. These tests run those functions.

Each test trains real proxies (seconds), so they are marked slow.

Used in: CI (1.3, 1.4, 1.5).
"""

from __future__ import annotations

import pytest

from mixlab.exercises.registry import get_exercise


def test_the_token_counts_stated_in_the_1_3_exercise_are_the_lesson_world_s() -> None:
    from mixlab.exercises.catalog import s1_3

    assert s1_3.lesson_tokens().to_dict() == s1_3.LESSON_TOKENS


@pytest.mark.slow
def test_five_times_the_tokens_letter_is_what_the_runs_show() -> None:
    from mixlab.exercises.catalog import s1_3

    assert get_exercise("1.3/five-times-the-tokens").reference_answer() == s1_3.budget_answer()


@pytest.mark.slow
def test_averaging_a_cheap_proxy_letter_is_what_the_runs_show() -> None:
    from mixlab.exercises.catalog import s1_4

    assert get_exercise("1.4/averaging-a-cheap-proxy").reference_answer() == s1_4.averaging_answer()


@pytest.mark.slow
def test_accuracy_near_the_optimum_letter_is_what_the_runs_show() -> None:
    from mixlab.exercises.catalog import s1_5

    assert get_exercise("1.5/accuracy-near-the-optimum").reference_answer() == s1_5.accuracy_answer()
