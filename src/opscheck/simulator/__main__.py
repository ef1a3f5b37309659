"""Run the simulated production: `python -m opscheck.simulator --target FILE [--faults A,B]`.

Prints one JSON line with its endpoints once it is seeded, then serves until its
standard input closes, so it never outlives the process that started it.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from opscheck.simulator import app, catalog, effects
from opscheck.simulator.effects import access
from opscheck.simulator.world import ACCOUNT, World, seed
from opscheck.target import TargetError, load


def with_latency(wsgi: Any, latency_ms: int) -> Any:
    """Wrap a WSGI app so every request takes at least latency_ms, like a round trip to a region."""
    if latency_ms <= 0:
        return wsgi

    def delayed(environ: dict[str, Any], start_response: Any) -> Any:
        time.sleep(latency_ms / 1000)
        return wsgi(environ, start_response)

    return delayed


def with_answers(wsgi: Any, world: dict[str, World]) -> Any:
    """Answer the query-protocol actions moto lacks (effects.ANSWERS) before moto sees them."""

    def answering(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "POST" and effects.ANSWERS and "world" in world:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size)
            environ["wsgi.input"] = io.BytesIO(body)
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
            action = params.get("Action", "")
            if action in effects.ANSWERS:
                payload = effects.ANSWERS[action](world["world"], params).encode()
                start_response(
                    "200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))]
                )
                return [payload]
        return wsgi(environ, start_response)

    return answering


def serve_aws(latency_ms: int, world: dict[str, World]) -> str:
    server = make_server(
        "127.0.0.1",
        0,
        with_latency(
            with_answers(DomainDispatcherApplication(create_backend_app), world), latency_ms
        ),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True, name="simulated-aws").start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opscheck.simulator", description=__doc__)
    parser.add_argument("--target", required=True, type=Path, help="the simulated environment file")
    parser.add_argument("--catalog", required=True, type=Path, help="the fault catalog folder")
    parser.add_argument("--faults", default="", help="comma-separated faults to stage")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        target = load(str(args.target), root=args.target.parent.parent)
        names = [n for n in args.faults.split(",") if n]
        faults = catalog.select(catalog.load(args.catalog), names)
    except (TargetError, catalog.CatalogError) as error:
        print(error, file=sys.stderr)
        return 2
    latency_ms = target.simulator.latency_ms if target.simulator else 0
    effects.load_all()
    seeded: dict[str, World] = {}
    aws_url = serve_aws(latency_ms, seeded)
    world = seeded["world"] = seed(aws_url, target)
    for add in effects.SEEDS:
        add(world)
    try:
        for fault in faults:
            effects.stage(world, fault)
    except catalog.CatalogError as error:
        print(error, file=sys.stderr)
        return 2
    for done in effects.FINISHERS:
        done(world)
    credentials = access.lock(world)  # from here on, only the read-only user gets in
    http = app.serve(world.responses)
    ready = {
        "aws": aws_url,
        "http": f"http://127.0.0.1:{http.server_address[1]}",
        "account": ACCOUNT,
        "credentials": credentials,
    }
    print(json.dumps(ready), flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
