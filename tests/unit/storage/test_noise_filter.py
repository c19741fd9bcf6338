"""The noise filter's pure parts: what each mode keeps and counts, and the judgement's answers."""

from __future__ import annotations

import pytest

from analysis.baseline import Baseline, BaselineThresholds
from storage.noise_filter import NoiseFilter, NoiseJudgement, filtered, keeps, stored_noise


@pytest.mark.parametrize(
    ("mode", "kept_noise", "kept_real", "counted"),
    [("include", True, True, 10), ("exclude", False, True, 7), ("only", True, False, 3)],
)
def test_each_mode_keeps_and_counts_its_share(
    mode: NoiseFilter, kept_noise: bool, kept_real: bool, counted: int
) -> None:
    assert (keeps(mode, True), keeps(mode, False)) == (kept_noise, kept_real)
    assert filtered(mode, 10, 3) == counted


def test_a_filter_splits_the_mismatches_without_losing_any() -> None:
    for count, noise in [(0, 0), (5, 0), (5, 5), (12, 4)]:
        assert filtered("exclude", count, noise) + filtered("only", count, noise) == count
        assert filtered("include", count, noise) == count


def test_the_judgement_answers_per_endpoint() -> None:
    judged = NoiseJudgement({"GET /a": Baseline(10)}, frozenset({("GET /a", "s1")}))
    assert judged.secondary and judged.has_secondary("GET /a")
    assert not judged.has_secondary("GET /b")
    assert judged.is_noise("GET /a", "s1") and not judged.is_noise("GET /b", "s1")
    assert judged.signatures_of("GET /a") == {"s1"} and judged.signatures_of("GET /b") == set()
    assert (judged.noise_count("GET /a", 0), judged.noise_count("GET /b", 0)) == (0, None)
    assert not NoiseJudgement().secondary


def test_a_stored_signature_is_judged_on_its_folded_paths() -> None:
    baseline = Baseline(100, {"/items/[*]/at": (100, 98), "/price": (10, 0)})
    rule = BaselineThresholds()
    assert stored_noise('[["/items/3/at", "value_changed"]]', baseline, rule) is True
    both = '[["/items/3/at", "value_changed"], ["/price", "value_changed"]]'
    assert stored_noise(both, baseline, rule) is False
    assert stored_noise('[["/price", "value_changed"]]', None, rule) is None
