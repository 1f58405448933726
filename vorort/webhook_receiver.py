"""`vorort webhooks receive`: a local webhook receiver for development, as a partner would write one.

`make run` starts it on 127.0.0.1:8099 and the demo registers an endpoint there (the secret, shown once
at registration, lands in var/demo-webhook-secret.txt). Every delivery is verified with the
`standardwebhooks` library; the log says which events arrived verified, which were repeats of a
webhook-id already seen (retries; a real receiver dedupes on it), and which were refused.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import click
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared.config import var_dir

SECRET_FILE = "demo-webhook-secret.txt"
DEFAULT_PORT = 8099


def secret_path():
    return var_dir() / SECRET_FILE


def make_server(host: str, port: int, echo=click.echo) -> ThreadingHTTPServer:
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _answer(self, status: int, text: str = "") -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = secret_path()
            if not path.exists():
                echo("webhook refused: no secret yet (the demo registers the endpoint)")
                return self._answer(401, "no secret")
            try:
                event = Webhook(path.read_text().strip()).verify(body, headers)
            except (WebhookVerificationError, ValueError) as error:
                echo(f"webhook REFUSED {headers.get('webhook-id', '?')}: {error}")
                return self._answer(401, "signature refused")
            webhook_id = headers["webhook-id"]
            with lock:
                repeat = webhook_id in seen
                seen.add(webhook_id)
            summary = json.dumps(event.get("data", {}), ensure_ascii=False)[:120]
            echo(f"webhook verified{' (repeat, ignored)' if repeat else ''}: {event.get('type')} "
                 f"{webhook_id} subject={event.get('subject')} {summary}")
            return self._answer(204)

    return ThreadingHTTPServer((host, port), Handler)


@click.group("webhooks")
def webhooks_group():
    """Development helpers for outgoing webhooks."""


@webhooks_group.command("receive")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
def receive(host, port):
    """Run a receiver that verifies and logs every delivery (Ctrl-C stops it)."""
    server = make_server(host, port, echo=lambda line: click.echo(line, nl=True))
    click.echo(f"webhook receiver on http://{host}:{port}/hooks, secret from {secret_path()}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
