"""The alert judge on the worker's leader: evaluate, publish, deliver.

Every `alert_interval_s` the leader judges the stored rollups
(`alerting.evaluator`), in event time. Alerts that are new or changed state are
published to the alerts topic (keyed by their stable ID) and offered to the
webhooks. The store is the memory: a restarted worker, or a new leader, first
takes every alert stored as firing as delivered, so no webhook hears of it
twice. A delivery in flight when a worker dies is lost (at most once); the
alert itself stays stored, and listed by `shadowdiff alerts`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import orjson

import storage
from alerting import Deliverer
from alerting.evaluator import evaluate, firing

if TYPE_CHECKING:
    import faust
    from sqlalchemy import Engine

    from streams.app import WorkerConfig

log = logging.getLogger("shadowdiff.alerts")


def install(app: faust.App, config: WorkerConfig, engine: Engine) -> None:
    """Add the leader's alert timer (and the webhooks' delivery task) to `app`."""
    deliverer = Deliverer(config.alert_webhooks) if config.alert_webhooks else None
    remembered = False

    if deliverer is not None:

        @app.task  # type: ignore[untyped-decorator]
        async def start_delivery() -> None:
            await deliverer.start()

    @app.timer(interval=config.alert_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
    async def judge_alerts() -> None:
        nonlocal remembered
        try:
            if deliverer is not None and not remembered:
                stored = await asyncio.to_thread(firing, engine, config.run_id)
                deliverer.remember((alert.id, alert.state) for alert in stored)
                remembered = True
            evaluation = await asyncio.to_thread(
                evaluate, engine, config.alert_rules, run_id=config.run_id
            )
        except storage.StorageError as error:
            log.warning("alerts not judged this time: %s", error)
            return
        send = app.producer.send
        for alert in evaluation.changed:
            log.warning("alert %s", alert.headline())
            value: Any = orjson.dumps({**alert.to_json(), "run": config.run_id})
            await send(config.alerts_topic, alert.id.encode(), value, None, None, None)
        if deliverer is not None:
            for alert in evaluation.alerts:
                # Still-firing alerts too: Alertmanager forgets one not sent again.
                if alert.state == "firing" or alert in evaluation.changed:
                    deliverer.offer(alert)
