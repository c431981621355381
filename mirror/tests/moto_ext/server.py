"""moto server with mirador's traffic-mirror extension, for the e2e tests.

Usage: python3 server.py [--host 127.0.0.1] [--port 0]

Binds to a loopback address only (port 0 picks a free port), prints
`PORT <n>` on stdout once it listens, and runs until its stdin is closed, so
it never outlives the test process that started it.

Besides moto's own API (including `POST /moto-api/reset`) it keeps a log of
the actions it served (EC2's query `Action`, or the operation of a JSON
protocol's `X-Amz-Target`, e.g. `PutEvents`), and of what each EventBridge
PutEvents call carried:
  GET    /mirador-ext/requests    -> JSON list of action names, oldest first
  DELETE /mirador-ext/requests    -> clears the log
  GET    /mirador-ext/put-events  -> JSON list, one {"entries": N, "bytes": B}
                                     per PutEvents call (B: the total entry
                                     size as AWS computes it)
Both logs are cleared by `DELETE /mirador-ext/requests` and by
`/moto-api/reset`.
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


def put_events_size(body):
    """Entries and total entry size of a PutEvents request body, computed as
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html"""
    try:
        entries = json.loads(body or b"{}").get("Entries") or []
    except ValueError:
        return {"entries": -1, "bytes": -1}
    size = 0
    for e in entries:
        size += 14 if e.get("Time") is not None else 0
        for k in ("Source", "DetailType", "Detail"):
            size += len((e.get(k) or "").encode("utf-8"))
        size += sum(len(r.encode("utf-8")) for r in e.get("Resources") or [] if r is not None)
    return {"entries": len(entries), "bytes": size}


class RequestLog:
    """WSGI middleware recording the action of every request."""

    def __init__(self, app):
        self.app = app
        self.actions = []
        self.put_events = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/mirador-ext/requests":
            if environ.get("REQUEST_METHOD") in ("DELETE", "POST"):
                with self.lock:
                    self.actions.clear()
                    self.put_events.clear()
            with self.lock:
                body = json.dumps(self.actions).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/mirador-ext/put-events":
            with self.lock:
                body = json.dumps(self.put_events).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path.startswith("/moto-api/reset"):
            with self.lock:
                self.actions.clear()
                self.put_events.clear()
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = parse_qs(body.decode("utf-8", "replace"))
        params.update(parse_qs(environ.get("QUERY_STRING", "")))
        action = (params.get("Action") or [None])[0]
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        if not action and "." in target:
            action = target.rsplit(".", 1)[1]
        if action:
            with self.lock:
                self.actions.append(action)
                if target == "AWSEvents.PutEvents":
                    self.put_events.append(put_events_size(body))
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
