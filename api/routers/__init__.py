"""One router per resource under `/api/v1/`; each reads through a `storage` query."""
