"""``flask --app app serve``: the park served by a production WSGI server (waitress).

``flask run`` is Werkzeug's development server: one process meant for a desk,
with no limit on slow clients. A deployment runs this command instead, behind a
reverse proxy (nginx; README "Deployment"). Waitress is pure Python (it runs
wherever ParkAtlas does, Windows servers of park offices included), serves
requests from a pool of threads (the park's layers are cached once per process and
shared by them), closes connections idle too long (slow clients cannot hold the
threads) and refuses a request body larger than ``PARKATLAS_MAX_UPLOAD_MB`` with
413 as soon as its length is announced.

Once the port is open it warms the park up in the background (``PARKATLAS_WARM_UP``,
on by default): the overview's figures of the park's day and the tiles of its large
layers are prepared before the first visitor asks (``web.background.warm_up``).

The app is the one ``flask run`` serves: the same park, settings and start-up check
(a damaged park is refused before the port opens). Proxy headers
(``X-Forwarded-For/-Proto``) reach the app only when it trusts a proxy
(``PARKATLAS_PROXY=1``, see ``web.auth``); otherwise waitress removes them, so no
client can claim another address or scheme. SIGTERM and Ctrl-C stop it cleanly:
the listening socket closes and the threads finish their requests; then the process
leaves at once (:func:`leave`), without waiting for background computations.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Mapping
from typing import NoReturn

import click
from flask import Flask
from flask.cli import ScriptInfo, pass_script_info
from werkzeug.middleware.proxy_fix import ProxyFix

from layers.stores import close_store, describe

#: Server settings from the environment: variable → (waitress setting, default, why).
SERVER_SETTINGS = {
    # Requests are served by these threads; analyses hold the GIL, so more threads than a few per core
    # only queue work, while waiting on the disk or the network they let other requests through.
    "PARKATLAS_THREADS": ("threads", 8),
    # A connection with nothing sent or received for this long is closed: slow or stalled clients
    # (and slow-loris attacks) cannot keep threads and sockets busy.
    "PARKATLAS_CHANNEL_TIMEOUT_S": ("channel_timeout", 120),
    # Connections accepted at once; more wait in the listen backlog (the proxy queues them).
    "PARKATLAS_CONNECTION_LIMIT": ("connection_limit", 100),
}


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise click.BadParameter(f"{name} must be a whole number of at least 1, got {raw!r}")
    return value


def proxy_trusted(app: Flask) -> bool:
    """Whether the app reads ``X-Forwarded-*`` (``web.auth`` wraps it in ProxyFix exactly when a proxy is trusted)."""
    return isinstance(app.wsgi_app, ProxyFix)


def server_settings(app: Flask, environ: Mapping[str, str]) -> dict:
    """Waitress's settings for ``app``: threads, timeouts, the body cap, and proxy headers only when trusted."""
    settings = {key: _positive_int(environ, name, default) for name, (key, default) in SERVER_SETTINGS.items()}
    # Checked this often: a timed-out connection is closed within channel_timeout + this.
    settings["cleanup_interval"] = min(30, settings["channel_timeout"])
    # The same cap as the app's (PARKATLAS_MAX_UPLOAD_MB), refused by the server as soon as the length is announced.
    # Waitress refuses a body of max_request_body_size bytes or more, Flask one of more than MAX_CONTENT_LENGTH:
    # one byte more here, and both accept exactly the cap.
    settings["max_request_body_size"] = int(app.config["MAX_CONTENT_LENGTH"]) + 1
    settings["clear_untrusted_proxy_headers"] = not proxy_trusted(app)
    return settings


def _say(line: str) -> None:
    click.echo(line)
    click.get_text_stream("stdout").flush()


def leave(app: Flask) -> NoReturn:
    """End the process once waitress has finished its requests: the park's store closed, the output flushed.

    What may still run are background computations (the warm-up, a large park's analyses), whose results
    are caches only: a write is made in a request, atomically, so an unfinished one is not there at all.
    The interpreter's own exit would wait for their worker threads, or for a native library's teardown
    blocked by a thread stopped inside it (a CI run once saw a server live over 30 s after "ParkAtlas
    stopped"); a stop must be bounded, so the process does not wait for them.
    """
    from web.park import app_park

    try:
        close_store(app_park(app).store)
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # waitress closes its socket and joins its threads on this


@click.command("serve")
@click.option("--host", default=lambda: os.environ.get("PARKATLAS_HOST", "127.0.0.1"), show_default="127.0.0.1",
              help="Address to listen on (behind a reverse proxy: 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=lambda: int(os.environ.get("PARKATLAS_PORT", "8000")),
              show_default="8000", help="Port to listen on (0: a free one, printed at start).")
@pass_script_info
def serve_command(info: ScriptInfo, host: str, port: int) -> None:
    """Serve the park with waitress, the production WSGI server (see README, Deployment)."""
    from waitress import create_server

    from web.background import warm_up
    from web.integrity import ParkIntegrityError, prepare_to_serve

    app = info.load_app()
    try:
        prepare_to_serve(app)  # leftovers cleared, the park checked: a damaged one is refused before the port opens
    except ParkIntegrityError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(2) from None
    settings = server_settings(app, os.environ)
    server = create_server(app, host=host, port=port, **settings)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    proxy = "trusted" if proxy_trusted(app) else "not trusted"
    park = describe(app.config.get("DATABASE_URL") or app.config["PARK_PATH"])
    click.echo(f"ParkAtlas serving {park} "
               f"at http://{server.effective_host}:{server.effective_port} with waitress "
               f"({settings['threads']} threads, idle connections closed after {settings['channel_timeout']} s, "
               f"bodies up to {app.config['MAX_CONTENT_LENGTH']} bytes, "
               f"proxy headers {proxy})", nl=True)
    click.get_text_stream("stdout").flush()
    if app.config["WARM_UP"]:  # after the banner, whose first line names the port
        warm_up(app, say=_say)
    server.run()
    _say("ParkAtlas stopped")
    leave(app)
