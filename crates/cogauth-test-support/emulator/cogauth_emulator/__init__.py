"""cogauth's extensions to moto_server 5.2.5, one module per feature.

Each module has an `install()` that patches moto before the server starts, and may register
HTTP routes of its own with `routes.register(prefix, wsgi_app)`. `launcher.py` installs them
all. Every extension is documented in docs/emulator.md, with what stays unverified.
"""

from . import calls, identity_roles, lambda_forward, managed_login, revoke, unanswerable_challenges

# The order does not matter: each module patches distinct moto functions, or wraps the one it
# patches and calls the previous implementation.
MODULES = [identity_roles, calls, revoke, lambda_forward, managed_login, unanswerable_challenges]


def install_all():
    for module in MODULES:
        module.install()
