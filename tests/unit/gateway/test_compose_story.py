"""docker-compose.yml's example story agrees with the code (no Docker engine here to run it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from shadowdiff.commands.proxy import command

ROOT = Path(__file__).resolve().parents[3]


def services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def test_the_proxy_command_parses_and_points_at_the_backends() -> None:
    found = services()
    args = [a.replace("/src/examples", str(ROOT / "examples")) for a in found["proxy"]["command"]]
    assert args[:2] == ["shadowdiff", "proxy"]
    params = command.make_context("proxy", args[2:]).params
    listen_port = params["listen"].rpartition(":")[2]
    assert f"{listen_port}:{listen_port}" in found["proxy"]["ports"]
    for flag, backend in (("primary", "monolith"), ("candidate", "rewrite")):
        url = urlsplit(params[flag])
        assert url.hostname == backend
        assert str(url.port) in found[backend]["command"], f"{backend} listens elsewhere"
    assert (
        found["proxy"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"]
        == (found["worker"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"])
    )


def test_the_traffic_targets_the_proxy() -> None:
    found = services()
    target = found["traffic"]["command"][found["traffic"]["command"].index("--target") + 1]
    assert urlsplit(target).hostname == "proxy"
    assert f"{urlsplit(target).port}:{urlsplit(target).port}" in found["proxy"]["ports"]
