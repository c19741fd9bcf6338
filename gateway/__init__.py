"""The gateway side: a mirroring reverse proxy and the publishers gateways call.

- `proxy`: the aiohttp application that answers from the primary and mirrors to
  the candidate (and secondary), publishing every side as an `Exchange`.
- `routes`, `graphql`: pure naming of endpoints (route templates, GraphQL operations).
- `sink`: the bounded, never-blocking path from observations to Kafka.
- `server`: running the proxy with a graceful shutdown.
- `sync_publisher`: a blocking publisher for WSGI gateways.
"""
