"""Alert delivery: webhooks in three formats, retried with backoff, never in the caller's way.

I/O at the edge: the judging is `analysis`'s (pure); this package only carries
its alerts out. Typical use, inside the worker's event loop::

    deliverer = Deliverer(parse_webhooks("slack=https://hooks.slack.com/... json=https://..."))
    await deliverer.start()
    for alert in alerts:          # every evaluation may offer every alert it finds
        deliverer.offer(alert)    # never blocks; one delivery per alert and state
    await deliverer.close()
"""

from alerting.delivery import DEFAULT_QUEUE_SIZE, Deliverer, DeliveryStats
from alerting.formats import alertmanager, generic, payload, slack
from alerting.webhooks import Format, RetryPolicy, Webhook, parse_webhook, parse_webhooks

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "Deliverer",
    "DeliveryStats",
    "Format",
    "RetryPolicy",
    "Webhook",
    "alertmanager",
    "generic",
    "parse_webhook",
    "parse_webhooks",
    "payload",
    "slack",
]
