"""Tokens for managed login, minted with moto's own token functions.

The managed-login endpoints (managed_login.py) issue tokens the way moto's InitiateAuth does:
`create_refresh_token` then `create_tokens_from_refresh_token`, so the refresh token is in
`pool.refresh_tokens` (REFRESH_TOKEN_AUTH and RevokeToken accept it), the access token in
`pool.access_tokens` (GetUser accepts it) and the ID token is signed with the pool's key (GetId,
GetCredentialsForIdentity and any JWKS check accept it). What an OAuth sign-in adds is carried
by a *grant*, keyed by the tokens' `origin_jti` and stored on the pool (so /moto-api/reset
clears it):

- the access token's `scope` claim is the granted scopes, not moto's fixed
  `aws.cognito.signin.user.admin`, also on every refresh (REFRESH_TOKEN_AUTH or the token
  endpoint), as Cognito keeps the scopes of the original sign-in;
- `auth_time` stays the time of the sign-in across refreshes;
- the ID token of the code exchange carries `nonce` (through `claims_context`, for that one
  minting only);
- operations authorized by an access token (GetUser, GlobalSignOut, ...) refuse a token whose
  grant lacks `aws.cognito.signin.user.admin`, with Cognito's message;
- a federated user's ID token carries the `identities` claim, and the user reports the status
  `EXTERNAL_PROVIDER` (kept CONFIRMED inside moto, whose GetUser accepts only CONFIRMED users).

The claims are added by wrapping `CognitoIdpUserPool.create_jwt`, the one function every moto
token goes through, so other extensions that wrap create_id_token / create_access_token compose.
Tokens without a grant (InitiateAuth and the other API flows) are minted exactly as before.
`managed_login.install()` installs this module.
"""

import base64
import contextlib
import json
import threading

ADMIN_SCOPE = "aws.cognito.signin.user.admin"

_context = threading.local()


class Grant:
    """What one OAuth sign-in granted; shared by all tokens minted from its refresh token."""

    def __init__(self, client_id, username, scopes, auth_time):
        self.client_id = client_id
        self.username = username
        self.scopes = list(scopes)
        self.auth_time = int(auth_time)


def grants(pool):
    """origin_jti -> Grant, on the pool (reset() builds new pools)."""
    if not hasattr(pool, "cogauth_oauth_grants"):
        pool.cogauth_oauth_grants = {}
    return pool.cogauth_oauth_grants


@contextlib.contextmanager
def claims_context(id_claims=None, access_claims=None):
    """Extra claims for the tokens minted inside the block, on this thread only."""
    previous = getattr(_context, "claims", None)
    _context.claims = {"id": dict(id_claims or {}), "access": dict(access_claims or {})}
    try:
        yield
    finally:
        _context.claims = previous


def jwt_payload(token):
    """The payload of a JWT, unverified (only to find the grant of a token moto issued)."""
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (AttributeError, IndexError, ValueError):
        return None


def is_jwt(token):
    return isinstance(token, str) and token.count(".") == 2 and jwt_payload(token) is not None


def mint(pool, client_id, username, scopes, auth_time, nonce=None):
    """Tokens for an authorization-code exchange: (access, id, refresh, expires_in)."""
    refresh_token, origin_jti = pool.create_refresh_token(client_id, username)
    grants(pool)[origin_jti] = Grant(client_id, username, scopes, auth_time)
    with claims_context(id_claims={"nonce": nonce} if nonce else None):
        access_token, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh_token)
    return access_token, id_token, refresh_token, expires_in


def grant_of_refresh_token(pool, refresh_token):
    entry = pool.refresh_tokens.get(refresh_token)
    if not entry:
        return None
    return grants(pool).get(entry[2])


def revoke_refresh_token(pool, refresh_token):
    """Revoke a refresh token and every access token minted from it, as /oauth2/revoke does."""
    entry = pool.refresh_tokens.get(refresh_token)
    if not entry:
        return
    origin_jti = entry[2]
    pool.refresh_tokens[refresh_token] = None
    for access_token in list(pool.access_tokens):
        payload = jwt_payload(access_token) or {}
        if payload.get("origin_jti") == origin_jti:
            pool.access_tokens.pop(access_token, None)


def find_pool_of_access_token(access_token):
    from moto.cognitoidp.models import cognitoidp_backends

    for account in cognitoidp_backends.values():
        for region, backend in account.items():
            if region == "global":
                continue
            for pool in backend.user_pools.values():
                if access_token in pool.access_tokens:
                    return backend, pool
    return None, None


def access_token_grant(access_token):
    _, pool = find_pool_of_access_token(access_token)
    if pool is None:
        return None
    payload = jwt_payload(access_token) or {}
    return grants(pool).get(payload.get("origin_jti"))


def identities_claim(user):
    """The ID token's `identities`: the attribute's JSON, with Cognito's string-typed fields."""
    raw = user.attribute_lookup.get("identities")
    if not raw:
        return None
    try:
        identities = json.loads(raw)
    except ValueError:
        return None
    claim = []
    for identity in identities:
        entry = dict(identity)
        entry["primary"] = str(entry.get("primary", False)).lower()
        if "dateCreated" in entry:
            entry["dateCreated"] = str(entry["dateCreated"])
        claim.append(entry)
    return claim


# Operations that Cognito authorizes with a user's access token, which must then carry
# aws.cognito.signin.user.admin (names of moto's CognitoIdpResponse methods).
ACCESS_TOKEN_OPERATIONS = [
    "get_user",
    "global_sign_out",
    "update_user_attributes",
    "delete_user",
    "delete_user_attributes",
    "change_password",
    "associate_software_token",
    "verify_software_token",
    "set_user_mfa_preference",
    "get_user_attribute_verification_code",
    "verify_user_attribute",
    "list_devices",
    "get_device",
    "forget_device",
    "update_device_status",
    "confirm_device",
]


def install():
    from moto.cognitoidp import models, responses
    from moto.cognitoidp.exceptions import NotAuthorizedError

    original_create_jwt = models.CognitoIdpUserPool.create_jwt

    def create_jwt(self, client_id, username, token_use, expires_in=60 * 60, extra_data=None):
        extra = dict(extra_data or {})
        grant = grants(self).get(extra.get("origin_jti"))
        if grant is not None:
            extra["auth_time"] = grant.auth_time
            if token_use == "access":
                extra["scope"] = " ".join(grant.scopes)
        if token_use == "id":
            user = self._get_user(username)
            claim = identities_claim(user) if user is not None else None
            if claim:
                extra["identities"] = claim
        context = getattr(_context, "claims", None)
        if context:
            extra.update(context.get(token_use, {}))
        return original_create_jwt(self, client_id, username, token_use, expires_in, extra)

    models.CognitoIdpUserPool.create_jwt = create_jwt

    def requires_admin_scope(original):
        def operation(self):
            token = self._get_param("AccessToken")
            grant = access_token_grant(token) if token else None
            if grant is not None and ADMIN_SCOPE not in grant.scopes:
                raise NotAuthorizedError("Access Token does not have required scopes")
            return original(self)

        operation.__name__ = original.__name__
        return operation

    for name in ACCESS_TOKEN_OPERATIONS:
        original = getattr(responses.CognitoIdpResponse, name, None)
        if original is not None:
            setattr(responses.CognitoIdpResponse, name, requires_admin_scope(original))

    original_base_json = models.CognitoIdpUser._base_json

    def base_json(self):
        answer = original_base_json(self)
        if getattr(self, "cogauth_external_provider", False):
            answer["UserStatus"] = "EXTERNAL_PROVIDER"
        return answer

    models.CognitoIdpUser._base_json = base_json
