"""The demo's sample is moved to end now, by whole minutes, and only the sample."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

import storage
from shadowdiff.cli import main
from shadowdiff.commands.demo import sample_capture
from shadowdiff.recorded import SAMPLE_ENDS_AT, shift_into, shift_to, shifted
from streams.capture import read_capture


def test_the_sample_ends_when_the_constant_says() -> None:
    assert max(e.started_at for e in read_capture(sample_capture())) == SAMPLE_ENDS_AT


def test_the_shift_is_whole_minutes_and_lands_in_the_last_minute() -> None:
    now = datetime(2026, 3, 1, 12, 0, 42, tzinfo=UTC)
    shift = shift_to(now)
    assert shift % timedelta(minutes=1) == timedelta(0)
    assert now - timedelta(minutes=1) < SAMPLE_ENDS_AT + shift <= now
    first = next(read_capture(sample_capture()))
    (moved,) = shifted([first], shift)
    assert moved.started_at - first.started_at == shift
    assert moved.request_id == first.request_id and moved.response_body == first.response_body


def test_the_demo_data_is_recent_unless_asked_to_keep_its_times(tmp_path: Path) -> None:
    recent = f"sqlite:///{tmp_path / 'recent.sqlite'}"
    kept = f"sqlite:///{tmp_path / 'kept.sqlite'}"
    assert CliRunner().invoke(main, ["demo", "--db", recent]).exit_code == 0
    assert CliRunner().invoke(main, ["demo", "--db", kept, "--as-recorded"]).exit_code == 0
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    found = storage.mismatch_report(storage.connect(recent), since=hour_ago)
    assert {e.endpoint for e in found.endpoints} >= {"GET /users/{id}", "GET /courses"}
    assert not storage.mismatch_report(storage.connect(kept), since=hour_ago).endpoints


def test_a_second_demo_into_one_database_lands_on_the_first(tmp_path: Path) -> None:
    then = datetime(2026, 3, 1, 12, 0, 42, tzinfo=UTC)
    first_end = SAMPLE_ENDS_AT + shift_to(then)
    stored_end = first_end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert shift_into(stored_end) == shift_to(then)
