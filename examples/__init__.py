"""The whole story, runnable: a Python monolith, its Go rewrite, traffic, the report.

`python -m examples.stack` (or `make stack`) runs it on this machine's own
Kafka and PostgreSQL; docker-compose.yml has the same services for Docker.
"""
