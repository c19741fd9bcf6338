"""Malformed capture records that a run passed over: every one counted, the first few kept.

A capture of a million lines is not thrown away for one bad line: the reader
skips it and tells a `Skipped`, and the command reports them at the end and
exits with `EXIT_SKIPPED`, so a script sees that the run was not whole.
"""

from __future__ import annotations

from streams.capture import CaptureError

EXIT_SKIPPED = 3
"""The exit status of a run that skipped malformed records (1 and 2 are taken)."""


class Skipped:
    """Collects the errors a lenient capture read hands over (pass it as `on_skip`)."""

    def __init__(self, keep: int = 5) -> None:
        self.count = 0
        self.first: list[CaptureError] = []
        self._keep = keep

    def __call__(self, error: CaptureError) -> None:
        self.count += 1
        if len(self.first) < self._keep:
            self.first.append(error)

    def report(self) -> list[str]:
        """Lines for a person: how many were skipped, then the first few and why."""
        if not self.count:
            return []
        noun = "record was" if self.count == 1 else "records were"
        lines = [f"Warning: {self.count} malformed {noun} skipped (exit status {EXIT_SKIPPED}):"]
        lines += [f"  {error}" for error in self.first]
        if self.count > len(self.first):
            lines.append(f"  ... and {self.count - len(self.first)} more")
        lines.append("  Fix them and run again, or pass --strict to stop at the first.")
        return lines
