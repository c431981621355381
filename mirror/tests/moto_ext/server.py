"""moto server with mirador's traffic-mirror extension, for the e2e tests.

Usage: python3 server.py [--host 127.0.0.1] [--port 0]

Binds to a loopback address only (port 0 picks a free port), prints
`PORT <n>` on stdout once it listens, and runs until its stdin is closed, so
it never outlives the test process that started it.

Besides moto's own API (including `POST /moto-api/reset`) it keeps a log of
the EC2 actions it served:
  GET    /mirador-ext/requests  -> JSON list of action names, oldest first
  DELETE /mirador-ext/requests  -> clears the log
The log is cleared by `/moto-api/reset` as well.
"""

import argparse
import io
import json
import logging
import os
import sys
import threading
from urllib.parse import parse_qs

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RequestLog:
    """WSGI middleware recording the `Action` of every EC2 query request."""

    def __init__(self, app):
        self.app = app
        self.actions = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/mirador-ext/requests":
            if environ.get("REQUEST_METHOD") in ("DELETE", "POST"):
                with self.lock:
                    self.actions.clear()
            with self.lock:
                body = json.dumps(self.actions).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path.startswith("/moto-api/reset"):
            with self.lock:
                self.actions.clear()
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = parse_qs(body.decode("utf-8", "replace"))
        params.update(parse_qs(environ.get("QUERY_STRING", "")))
        action = (params.get("Action") or [None])[0]
        if action:
            with self.lock:
                self.actions.append(action)
        return self.app(environ, start_response)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    if args.host not in LOOPBACK:
        sys.exit(f"refusing to bind {args.host}: the test server listens on loopback only")

    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import traffic_mirror

    traffic_mirror.register()

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = RequestLog(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True)
    print(f"PORT {server.port}", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sys.stdin.read()  # returns at EOF: the parent is gone or done
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
