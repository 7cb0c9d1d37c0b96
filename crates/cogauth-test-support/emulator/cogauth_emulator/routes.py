"""Routes that the harness serves next to moto's own, for tests and for AWS endpoints that moto
does not serve (e.g. managed login). A route is a path prefix and a WSGI app; the first prefix
that matches the request path wins, and everything else goes to moto."""

ROUTES = []


def register(prefix, app):
    """Serve every path under `prefix` (e.g. "/cogauth-test/calls") with the WSGI app `app`."""
    ROUTES.append((prefix, app))


def json_response(start_response, body, status="200 OK"):
    import json

    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def wrap(app):
    def dispatch(environ, start_response):
        path = environ.get("PATH_INFO") or ""
        for prefix, handler in ROUTES:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return handler(environ, start_response)
        return app(environ, start_response)

    return dispatch
