"""The resume point: before the first request read and not yet stored."""

from __future__ import annotations

from streams.replay.resume import ResumeTracker


def test_nothing_held_resumes_at_the_next_position() -> None:
    tracker: ResumeTracker[int] = ResumeTracker()
    assert tracker.resume_at(7) == 7


def test_the_oldest_unstored_request_holds_the_resume_point() -> None:
    tracker: ResumeTracker[int] = ResumeTracker()
    tracker.hold("a", 1)
    tracker.hold("b", 2)
    tracker.hold("c", 5)
    tracker.hold("a", 6)  # a's other side: the first side's position counts
    assert tracker.resume_at(9) == 1
    tracker.release(["b"])
    assert tracker.resume_at(9) == 1
    tracker.release(["a"])
    assert tracker.resume_at(9) == 5
    tracker.release(["c", "never-held"])
    assert len(tracker) == 0
    assert tracker.resume_at(9) == 9


def test_a_request_held_again_after_release_moves_to_its_new_position() -> None:
    tracker: ResumeTracker[int] = ResumeTracker()
    tracker.hold("a", 1)
    tracker.hold("b", 3)
    tracker.release(["a"])
    tracker.hold("a", 8)  # a late duplicate after the request was stored
    assert tracker.resume_at(9) == 3
