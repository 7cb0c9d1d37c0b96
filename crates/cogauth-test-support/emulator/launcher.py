"""Start moto_server on 127.0.0.1 with the things cogauth needs and moto 5.2.5 lacks.

Usage: launcher.py [--port N] [--parent-pid PID]

Prints "COGAUTH_EMULATOR_READY <port>" on stdout once the server accepts requests.
With --port 0 (the default) the kernel picks a free port, so there is no race between
choosing a port and binding it.

The extensions live in the package `cogauth_emulator`, one module per feature (each module's
docstring says what it adds and why); docs/emulator.md lists them with what stays unverified.
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cogauth_emulator  # noqa: E402
from cogauth_emulator import routes  # noqa: E402


def watch_parent(pid):
    # A test binary cannot run destructors for statics, so the server watches the process
    # that owns it and leaves when that process is gone: no orphan servers.
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    cogauth_emulator.install_all()

    app = routes.wrap(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    os.environ["MOTO_PORT"] = str(port)

    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()

    print(f"COGAUTH_EMULATOR_READY {port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
