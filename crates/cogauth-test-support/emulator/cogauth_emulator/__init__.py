"""cogauth's extensions to moto_server 5.2.5, one module per feature.

Each module has an `install()` that patches moto before the server starts, and may register
HTTP routes of its own with `routes.register(prefix, wsgi_app)`. `launcher.py` installs them
all. Every extension is documented in docs/emulator.md, with what stays unverified.
"""

from . import calls, identity_roles, lambda_forward, revoke
from . import auth_flows, custom_auth, devices, password_srp, rotation, signin, user_auth

# Each module patches distinct moto functions, or wraps the one it patches and calls the
# previous implementation. The user-pool sign-in modules (signin first, which they register
# with) come before `calls`, so that `calls` counts every InitiateAuth they answer.
SIGNIN = [signin, password_srp, devices, rotation, user_auth, custom_auth, auth_flows]
MODULES = [identity_roles, *SIGNIN, calls, revoke, lambda_forward]


def install_all():
    for module in MODULES:
        module.install()
