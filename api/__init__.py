"""The read-only HTTP API and dashboard over the result store.

A thin layer like the CLI: every route reads through a `storage` query
function and returns its value object's JSON form; no SQL lives here.
"""

from api.app import ApiConfig, create_app

__all__ = ["ApiConfig", "create_app"]
