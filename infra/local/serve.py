"""Serve the Chalice app over HTTP as ``chalice local`` does, with our gateway, plus the
local EventBridge (the schedule loop) in the same process.

Run by ``python -m infra.local`` as a subprocess, with the stack's environment already
set (``LocalAws.environment()`` and ``PROPDESK_STAGE=local``), so the AWS settings are in
place before ``app.py`` is imported. It can also be run on its own against any stack::

    python -m infra.local.serve --port 8000

What differs from ``chalice local``: ``PropDeskLocalGateway`` answers unknown routes and
missing tokens in our error shape (as our API Gateway does), a burst of clients waits in a
listen backlog of 128 (not 5) for its own thread, there is no auto-reloader,
request lines are not printed (the app logs each request itself), and scheduled
handlers fire.

Stopping: SIGTERM or SIGINT. With ``--supervised`` (how the runner starts it) SIGINT is
left to the runner, which relays a SIGTERM, and the server also stops when its stdin
closes, i.e. when the runner has gone away without saying so.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Iterator

from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer

from .gateway import PropDeskLocalGateway

ROOT = Path(__file__).resolve().parents[2]
STAGE = "local"


class PropDeskHTTPServer(ThreadedHTTPServer):
    """chalice local's server (a thread per connection), with a listen backlog for a burst of
    clients: socketserver's default of 5 resets the 6th connection that arrives at once."""

    request_queue_size = 128
    daemon_threads = True
    block_on_close = False


class PropDeskRequestHandler(ChaliceRequestHandler):
    """chalice local's request handler with our gateway, and without access-log lines."""

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = PropDeskLocalGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        pass

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, PROPFIND ...) goes to the gateway too, which answers
        # 404 as API Gateway does, rather than http.server's bare 501.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)


def load_app(project_dir: Path = ROOT, stage: str = STAGE) -> tuple[Any, Any]:
    """The app and its Chalice config, loaded the way the chalice CLI does: the stage's
    environment variables from .chalice/config.json go into os.environ, then app.py is
    imported. Returns (app, config)."""
    from chalice.cli.factory import CLIFactory
    from chalice.deploy.validate import validate_routes

    factory = CLIFactory(str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    return app, config


def create_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    """chalice.local.create_local_server, with PropDeskRequestHandler. Binds the port."""
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=PropDeskRequestHandler, server_cls=PropDeskHTTPServer)


@contextmanager
def served_in_thread(app: Any, config: Any, port: int = 0) -> Iterator[str]:
    """The app served on 127.0.0.1 (``port`` 0: a free one) from a thread of this process, for
    tests and the bench: its base URL while the block runs."""
    server = create_server(app, config, "127.0.0.1", port)
    thread = threading.Thread(target=server.server.serve_forever, name="propdesk-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stage", default=STAGE, help="Chalice stage in .chalice/config.json (default: local)")
    parser.add_argument("--project-dir", default=str(ROOT), type=Path)
    parser.add_argument("--no-schedules", action="store_true", help="do not fire scheduled handlers")
    parser.add_argument("--supervised", action="store_true",
                        help="started by python -m infra.local: ignore SIGINT, stop when stdin closes")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN if args.supervised else (lambda *_: stop.set()))

    # What `chalice local` does: the app's (and Lambda's) logging goes to stdout.
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("PROPDESK_STAGE", args.stage)
    if str(args.project_dir) not in sys.path:
        sys.path.insert(0, str(args.project_dir))

    from .schedules import ScheduleLoop

    app, config = load_app(args.project_dir, args.stage)
    loop = ScheduleLoop(app, stage=args.stage)
    try:
        server = create_server(app, config, args.host, args.port)
    except OSError as error:
        print(f"Cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr, flush=True)
        return 1

    http_thread = threading.Thread(target=server.server.serve_forever, name="propdesk-http", daemon=True)
    http_thread.start()
    schedule_thread = None
    if args.no_schedules:
        print("Scheduled jobs are off (--no-schedules).", flush=True)
    else:
        for line in loop.describe():
            print(line, flush=True)
        if loop.jobs:
            schedule_thread = loop.start_thread()
    if args.supervised:
        threading.Thread(target=_stop_at_eof, args=(stop,), name="propdesk-parent-watch", daemon=True).start()
    print(f"Serving on http://{args.host}:{args.port}", flush=True)

    while not stop.wait(0.5):
        if not http_thread.is_alive():
            print("The HTTP server stopped unexpectedly.", file=sys.stderr, flush=True)
            return 1
    loop.stop()
    server.shutdown()
    server.server.server_close()
    http_thread.join(5)
    if schedule_thread is not None:
        schedule_thread.join(5)
    return 0


def _stop_at_eof(stop: threading.Event) -> None:
    try:
        while os.read(0, 4096):  # unbuffered: no lock held at interpreter shutdown
            pass
    except (OSError, ValueError):
        pass
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
