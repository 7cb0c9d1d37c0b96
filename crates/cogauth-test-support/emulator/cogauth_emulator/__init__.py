"""cogauth's extensions to moto_server 5.2.5, one module per feature.

Each module has an `install()` that patches moto before the server starts, and may register
HTTP routes of its own with `routes.register(prefix, wsgi_app)`. `launcher.py` installs them
all. Every extension is documented in docs/emulator.md, with what stays unverified.
"""

from . import (
    auth_flows,
    calls,
    custom_auth,
    devices,
    federation,
    group_roles,
    identity_roles,
    lambda_forward,
    managed_login,
    password_srp,
    revoke,
    role_mapping,
    rotation,
    signin,
    sts_keys,
    tags,
    unanswerable_challenges,
    user_auth,
)

# Each module patches distinct moto functions, or wraps the one it patches and calls the
# previous implementation, so the order matters only where noted:
# - the sign-in modules (which run before moto's InitiateAuth / RespondToAuthChallenge, and add
#   the operations they answer) come before `calls`, so that `calls` counts every InitiateAuth
#   and GetTokensFromRefreshToken they answer;
# - role_mapping wraps identity_roles' GetIdentityPoolRoles storage, so it comes after it;
# - unanswerable_challenges wraps moto's own backend methods, which the sign-in modules call.
SIGNIN = [signin, password_srp, devices, rotation, user_auth, custom_auth, auth_flows]
MODULES = [
    identity_roles,
    *SIGNIN,
    calls,
    revoke,
    lambda_forward,
    managed_login,
    group_roles,
    role_mapping,
    federation,
    tags,
    sts_keys,
    unanswerable_challenges,
]


def install_all():
    for module in MODULES:
        module.install()
