"""Real Apache Kafka and PostgreSQL for tests and local runs, without Docker.

`KafkaBroker` runs the broker from jars fetched once from Maven Central;
`PostgresServer` runs a private cluster from Debian's packages; `SchemaRegistry`
runs Apicurio Registry, built once from Maven Central. All are context
managers with `start()`, `stop()` and `restart()`; `python -m services --help` shows
the command line.
"""

from services._process import ServiceError
from services.kafka import KafkaBroker
from services.postgres import PostgresServer
from services.registry import SchemaRegistry

__all__ = ["KafkaBroker", "PostgresServer", "SchemaRegistry", "ServiceError"]
