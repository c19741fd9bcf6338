"""Real Apache Kafka and PostgreSQL for tests and local runs, without Docker.

`KafkaBroker` runs the broker from jars fetched once from Maven Central;
`PostgresServer` runs a private cluster from Debian's packages. Both are context
managers with `start()`, `stop()` and `restart()`; `python -m services --help` shows
the command line.
"""

from services._process import ServiceError
from services.kafka import KafkaBroker
from services.postgres import PostgresServer

__all__ = ["KafkaBroker", "PostgresServer", "ServiceError"]
