"""Diffy's baseline rule on cases computed by hand."""

from __future__ import annotations

import pytest

from analysis.baseline import (
    Baseline,
    BaselineThresholds,
    PathBaseline,
    is_noise,
    signature_noise,
)


@pytest.mark.parametrize(
    ("total", "raw", "noise", "absolute", "relative", "noisy"),
    [
        # A timestamp: every pair differs, and so does every primary/secondary pair.
        (1_000, 1_000, 1_000, 0.0, 0.0, True),
        # A bug on a volatile path: 1,000 against 500 -> 50 % of requests, 33.3 % relative.
        (1_000, 1_000, 500, 50.0, 100 * 500 / 1_500, False),
        # A real bug where primary and secondary agree: 40 of 1,000 -> 4 %, 100 % relative.
        (1_000, 40, 0, 4.0, 100.0, False),
        # Slightly above the baseline: 110 against 100 -> 1 % absolute, 4.76 % relative.
        (1_000, 110, 100, 1.0, 100 * 10 / 210, True),
        # A rare bug: 2 in 10,000 -> 0.02 % absolute, below the 0.03 % threshold.
        (10_000, 2, 0, 0.02, 100.0, True),
        # 4 in 10,000 -> 0.04 %: counts.
        (10_000, 4, 0, 0.04, 100.0, False),
        # Fewer candidate than secondary differences: never real.
        (1_000, 100, 300, 20.0, 50.0, True),
    ],
)
def test_the_rule_on_hand_computed_cases(
    total: int, raw: int, noise: int, absolute: float, relative: float, noisy: bool
) -> None:
    path = PathBaseline(total, raw, noise)
    assert path.absolute_difference == pytest.approx(absolute)
    assert path.relative_difference == pytest.approx(relative)
    assert is_noise(path) is noisy


def test_thresholds_are_settings() -> None:
    slightly = PathBaseline(1_000, 110, 100)
    assert not is_noise(slightly, BaselineThresholds(relative=4.0, absolute=0.5))
    assert is_noise(PathBaseline(0, 0, 0))
    with pytest.raises(ValueError, match="raw, noise <= total"):
        PathBaseline(10, 11, 0)
    with pytest.raises(ValueError, match="negative"):
        BaselineThresholds(relative=-1)


THRESHOLDS = BaselineThresholds()
ENDPOINT = Baseline(
    requests=1_000,
    paths={
        "/generated_at": (1_000, 1_000),  # volatile: both differ on every request
        "/price": (40, 0),  # a bug: the secondary agrees with the primary
        "/items/[*]/id": (1_000, 500),  # a bug on a volatile path
        "/nonce": (0, 30),  # volatile, the candidate never differed there
    },
)


@pytest.mark.parametrize(
    ("paths", "noise"),
    [
        (["/generated_at"], True),
        (["/price"], False),
        (["/items/[*]/id"], False),
        (["/generated_at", "/nonce"], True),
        (["/generated_at", "/price"], False),  # one real path makes the problem real
        (["/never_seen_with_a_secondary"], False),  # no evidence either way
        ([], False),
    ],
)
def test_a_signature_is_noise_when_every_path_of_it_is(paths: list[str], noise: bool) -> None:
    assert signature_noise(paths, ENDPOINT, THRESHOLDS) is noise
    for path in paths:
        if path in ENDPOINT.paths:
            assert ENDPOINT.path_is_noise(path, THRESHOLDS) is is_noise(ENDPOINT.path(path))


def test_without_a_secondary_noise_is_unknown() -> None:
    assert signature_noise(["/generated_at"], None, THRESHOLDS) is None
    assert signature_noise(["/generated_at"], Baseline(0), THRESHOLDS) is None
