"""The dashboard: a static page and its modules, served from inside the package.

The page holds no data and no secret, yet it too is behind the token, like
every route but the health checks (`api.gate`): without one it answers with
the sign-in form (`api.signin`), whose cookie then carries the token to the
page, its files and every `/api/v1` call it makes. Nothing is fetched from
another origin (the chart library, uPlot, is vendored under `static/vendor/`
with its licence), so it works in a closed network.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
"""Shipped as package data beside this module (pyproject `package-data`)."""


def install(app: FastAPI) -> None:
    """Serve the page at `/` and its files under `/static/`."""
    index = STATIC / "index.html"

    @app.get("/", include_in_schema=False)
    async def _page() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
