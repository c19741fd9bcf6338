"""Schema migrations, driven from code (the project ships no alembic.ini).

The Alembic scripts live in the `migrations` package; its directory is found
through the import system, so this works from a source checkout, an editable
install and a wheel alike.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from storage.engine import connect, guard, safe_url


def _engine(url_or_engine: str | URL | Engine) -> Engine:
    return url_or_engine if isinstance(url_or_engine, Engine) else connect(url_or_engine)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the `migrations` package, bound to `engine`."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("migrations")))
    # `%` is interpolation syntax in Alembic's config parser.
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest). Idempotent."""
    engine = _engine(url_or_engine)
    config = alembic_config(engine)
    with guard(engine), engine.begin() as connection:
        # env.py runs the migration on this connection rather than opening its own.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision() -> str | None:
    """The newest revision the code knows."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("migrations")))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(url_or_engine: str | URL | Engine) -> str | None:
    """The revision the database is at, or None for a database never upgraded."""
    engine = _engine(url_or_engine)
    with guard(engine), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


__all__ = ["current_revision", "head_revision", "safe_url", "upgrade"]
