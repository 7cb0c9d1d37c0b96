"""Refresh-token rotation and GetTokensFromRefreshToken.

moto 5.2.5 stores an app client's RefreshTokenRotation without enforcing it and has no
GetTokensFromRefreshToken. Here, per the API reference (RefreshTokenRotationType,
GetTokensFromRefreshToken) and the developer guide:
- Create/UpdateUserPoolClient check RefreshTokenRotation: Feature ENABLED or DISABLED,
  RetryGracePeriodSeconds 0-60 (InvalidParameterException otherwise). Rotation is incompatible
  with REFRESH_TOKEN_AUTH: a client that turns it on must not list ALLOW_REFRESH_TOKEN_AUTH
  (InvalidParameterException). DescribeUserPoolClient returns what was stored. An update
  without RefreshTokenRotation turns rotation off, as on AWS (its default; moto keeps it).
- GetTokensFromRefreshToken (ClientId, RefreshToken, ClientSecret, DeviceKey, ClientMetadata)
  answers new ID and access tokens; on a rotating client also a new refresh token, and the
  submitted one dies RetryGracePeriodSeconds later (0: at once). While in grace it still works
  (each use rotates again). A token past its grace is RefreshTokenReuseException, the error the
  API reference defines for "a refresh token that has been invalidated by refresh-token rotation":
  so N concurrent calls with one token and grace 0 give exactly one success and N-1
  RefreshTokenReuseException. Unknown or revoked tokens, and tokens issued to another app client,
  are NotAuthorizedException. A client with a secret needs ClientSecret (NotAuthorizedException).
  With device tracking the bound device's DEVICE_KEY is required (see devices.py).
- InitiateAuth REFRESH_TOKEN_AUTH / REFRESH_TOKEN is refused with InvalidParameterException "Auth
  flow not enabled for this client" on a rotating client, and on a client whose ExplicitAuthFlows
  leave out ALLOW_REFRESH_TOKEN_AUTH; it also gets the app-client and device checks above.
ClientMetadata is accepted and not used (no pre-token-generation trigger here).

Test route: POST /cogauth-test/unoffered with {"client_id": C} makes GetTokensFromRefreshToken
answer, for that app client only, what an endpoint that does not offer the operation answers:
HTTP 400 `UnknownOperationException` (AWS's JSON protocol's error for an operation the endpoint
does not know). {"client_id": C, "offered": true} undoes it. Per client so that tests sharing one
emulator do not see each other's endpoint.
"""

import json
import threading
import time

from . import devices, routes, signin

FLOW_NOT_ENABLED = "Auth flow not enabled for this client"
_LOCK = threading.Lock()
# App clients for which GetTokensFromRefreshToken is "not offered" (see the route).
UNOFFERED = set()


def rotation(client):
    config = client.extended_config.get("RefreshTokenRotation") or {}
    if config.get("Feature") != "ENABLED":
        return None
    return int(config.get("RetryGracePeriodSeconds") or 0)


def _rotated(pool):
    if not hasattr(pool, "cogauth_rotated"):
        pool.cogauth_rotated = {}
    return pool.cogauth_rotated


def check_client_config(config, existing=None):
    """Checks a Create/UpdateUserPoolClient request; `existing` is the client's stored
    configuration on update (moto keeps what an update leaves out)."""
    existing = existing or {}
    rotation_config = config.get("RefreshTokenRotation", existing.get("RefreshTokenRotation"))
    if rotation_config is None:
        return
    if not isinstance(rotation_config, dict):
        raise signin.invalid_parameter("RefreshTokenRotation must be an object")
    feature = rotation_config.get("Feature")
    if feature not in ("ENABLED", "DISABLED"):
        raise signin.invalid_parameter(
            "RefreshTokenRotation.Feature must be one of ENABLED, DISABLED"
        )
    grace = rotation_config.get("RetryGracePeriodSeconds", 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 60:
        raise signin.invalid_parameter(
            "RefreshTokenRotation.RetryGracePeriodSeconds must be between 0 and 60"
        )
    flows = config.get("ExplicitAuthFlows", existing.get("ExplicitAuthFlows")) or []
    if feature == "ENABLED" and "ALLOW_REFRESH_TOKEN_AUTH" in flows:
        raise signin.invalid_parameter(
            "Refresh token rotation can't be enabled with ALLOW_REFRESH_TOKEN_AUTH in "
            "ExplicitAuthFlows: remove it, and refresh with GetTokensFromRefreshToken"
        )


def check_refresh_flow(request):
    """InitiateAuth REFRESH_TOKEN_AUTH: refused on rotating clients; app-client and device checks."""
    if request.flow not in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return
    client = request.client
    if rotation(client) is not None or "ALLOW_REFRESH_TOKEN_AUTH" not in signin.explicit_flows(
        client
    ):
        raise signin.invalid_parameter(FLOW_NOT_ENABLED)
    token = request.params.get("REFRESH_TOKEN")
    entry = request.pool.refresh_tokens.get(token or "")
    if entry is not None and entry[0] != client.id:
        raise signin.not_authorized(devices.INVALID_REFRESH_TOKEN)
    if entry is not None:
        devices.check_refresh(request.pool, token, request.device_key)


def get_tokens_from_refresh_token(response):
    from moto.core.responses import ActionResult

    client_id = response._get_param("ClientId")
    token = response._get_param("RefreshToken")
    if client_id in UNOFFERED:
        raise signin.CognitoError("UnknownOperationException", "")
    if not client_id or not token:
        raise signin.invalid_parameter("ClientId and RefreshToken are required")
    backend = response._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool, client = signin.find_client(backend, client_id)
    if client.generate_secret:
        secret = response._get_param("ClientSecret")
        if not secret:
            raise signin.not_authorized(
                f"Client {client.id} is configured for secret but secret was not received"
            )
        if secret != client.secret:
            raise signin.not_authorized(f"Unable to verify secret hash for client {client.id}")
    grace = rotation(client)
    with _LOCK:
        rotated = _rotated(pool)
        now = time.monotonic()
        if token in rotated and now >= rotated[token]:
            pool.refresh_tokens[token] = None
            raise signin.CognitoError(
                "RefreshTokenReuseException",
                "Refresh token has been invalidated by refresh token rotation.",
            )
        if token not in pool.refresh_tokens:
            raise signin.not_authorized(devices.INVALID_REFRESH_TOKEN)
        entry = pool.refresh_tokens[token]
        if entry is None:
            raise signin.not_authorized("Refresh Token has been revoked")
        owner, username, _ = entry
        if owner != client.id:
            raise signin.not_authorized(devices.INVALID_REFRESH_TOKEN)
        devices.check_refresh(pool, token, response._get_param("DeviceKey"))
        user = pool._get_user(username)
        if user is None or not user.enabled:
            raise signin.not_authorized("User is disabled.")
        result = {"TokenType": "Bearer"}
        source = token
        if grace is not None:
            source, _ = pool.create_refresh_token(client.id, username)
            devices.bind_token(pool, token, source)
            result["RefreshToken"] = source
            if token not in rotated:
                rotated[token] = now + grace
                if grace == 0:
                    pool.refresh_tokens[token] = None
        access, id_token, expires_in = pool.create_tokens_from_refresh_token(source)
        result.update({"AccessToken": access, "IdToken": id_token, "ExpiresIn": expires_in})
    return ActionResult({"AuthenticationResult": result})


def unoffered_app(environ, start_response):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        client_id = body["client_id"]
    except (KeyError, ValueError) as e:
        message = f'POST {{"client_id": C[, "offered": true]}} ({e})'
        return routes.json_response(start_response, {"error": message}, "400 Bad Request")
    with _LOCK:
        if body.get("offered"):
            UNOFFERED.discard(client_id)
        else:
            UNOFFERED.add(client_id)
    return routes.json_response(start_response, {"unoffered": sorted(UNOFFERED)})


def install():
    from moto.cognitoidp import responses

    cls = responses.CognitoIdpResponse
    original_create = cls.create_user_pool_client
    original_update = cls.update_user_pool_client

    def create_user_pool_client(self):
        check_client_config(self.parameters)
        return original_create(self)

    def update_user_pool_client(self):
        params = self.parameters
        pool = self.backend.describe_user_pool(params.get("UserPoolId"))
        existing = pool.clients.get(params.get("ClientId"))
        check_client_config(params, existing.extended_config if existing else None)
        answer = original_update(self)
        # UpdateUserPoolClient sets what the request leaves out to its default (the API
        # reference: "If you don't provide a value for an attribute, Amazon Cognito sets it to
        # its default value"); moto keeps it. For RefreshTokenRotation the default is off, and
        # an admin tool that forgets to send it back turns rotation off: reproduced here.
        updated = pool.clients.get(params.get("ClientId"))
        if updated is not None and "RefreshTokenRotation" not in params:
            updated.extended_config.pop("RefreshTokenRotation", None)
        return answer

    cls.create_user_pool_client = create_user_pool_client
    cls.update_user_pool_client = update_user_pool_client
    cls.get_tokens_from_refresh_token = get_tokens_from_refresh_token
    signin.CHECKS.append(check_refresh_flow)
    routes.register("/cogauth-test/unoffered", unoffered_app)
