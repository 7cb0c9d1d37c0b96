"""The sign-in machinery the user-pool flow modules share (not a feature of its own).

moto 5.2.5 answers InitiateAuth and RespondToAuthChallenge itself, and refuses the flows it does
not know (USER_AUTH) in its own parameter check. This module wraps both operations once, before
moto sees them, and lets each feature module register:
- `FLOWS[auth_flow] = handler(request)`: takes an InitiateAuth flow over (USER_SRP_AUTH, USER_AUTH,
  CUSTOM_AUTH, ...). A handler returns the answer as a dict, or None to let moto answer.
- `CHALLENGES[challenge_name] = handler(request)`: the same for RespondToAuthChallenge.
- `CHECKS`: functions run on every InitiateAuth before any handler (ExplicitAuthFlows, rotation).
- `AFTER_TOKENS`: functions run on every AuthenticationResult of a sign-in (device metadata).

It also holds what every flow ends in, as Cognito orders it: the first factor (a password, an
SRP proof, a one-time code, a custom challenge), then device authentication when the request
presents a confirmed device, then moto's own next step (NEW_PASSWORD_REQUIRED, MFA_SETUP, an MFA
challenge, or tokens), with the MFA step dropped for a remembered device when the pool says so.

Sessions the harness hands out are opaque random strings, valid for the app client's
AuthSessionValidity (3 minutes by default, as in Cognito) and single-use unless a handler keeps
them for a retry. They live on moto's backend objects, so /moto-api/reset clears them.
"""

import secrets
import threading
import time

from moto.core.exceptions import JsonRESTError

FLOWS = {}
CHALLENGES = {}
CHECKS = []
AFTER_TOKENS = []

# The MFA challenges a remembered device may skip (MFA_SETUP is never skipped: a pool that
# requires MFA needs it set up first).
MFA_CHALLENGES = ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP_MFA", "SELECT_MFA_TYPE")
# What Cognito answers for a session it no longer knows (expired, used, or never issued).
INVALID_SESSION = "Invalid session for the user, session is expired."
WRONG_PASSWORD = "Incorrect username or password."
# ExplicitAuthFlows of an app client created without any (CreateUserPoolClient's docs).
DEFAULT_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")

_LOCK = threading.RLock()


class CognitoError(JsonRESTError):
    """Any cognito-idp error by its code, e.g. CognitoError("CodeMismatchException", "...")."""

    def __init__(self, code, message):
        super().__init__(code, message)


def not_authorized(message=WRONG_PASSWORD):
    return CognitoError("NotAuthorizedException", message)


def invalid_parameter(message):
    return CognitoError("InvalidParameterException", message)


class Request:
    """One InitiateAuth or RespondToAuthChallenge call, resolved to its pool and app client."""

    def __init__(self, response, operation):
        self.response = response
        self.operation = operation
        self.client_id = response._get_param("ClientId")
        self.client_metadata = response._get_param("ClientMetadata") or {}
        if operation == "InitiateAuth":
            self.flow = response._get_param("AuthFlow")
            self.challenge_name = None
            self.params = response._get_param("AuthParameters") or {}
            self.session_id = response._get_param("Session")
        else:
            self.flow = None
            self.challenge_name = response._get_param("ChallengeName")
            self.params = response._get_param("ChallengeResponses") or {}
            self.session_id = response._get_param("Session")
        agnostic = response._get_region_agnostic_backend()
        self.backend = agnostic._find_backend_for_clientid(self.client_id)
        self.pool, self.client = find_client(self.backend, self.client_id)

    @property
    def device_key(self):
        return self.params.get("DEVICE_KEY") or None


def find_client(backend, client_id):
    for pool in backend.user_pools.values():
        client = pool.clients.get(client_id)
        if client is not None:
            return pool, client
    raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")


def find_pool(pool_id):
    """The moto pool with this id, in whatever account and region holds it, or None."""
    from moto.cognitoidp.models import cognitoidp_backends

    for account in cognitoidp_backends.values():
        for region, backend in account.items():
            if region == "global":
                continue
            pool = backend.user_pools.get(pool_id)
            if pool is not None:
                return pool
    return None


def explicit_flows(client):
    flows = client.extended_config.get("ExplicitAuthFlows") or []
    return list(flows) if flows else list(DEFAULT_FLOWS)


def pool_name(pool):
    return pool.id.split("_", 1)[1]


def user_id_for_srp(pool, user):
    """Cognito's USER_ID_FOR_SRP: the internal user name, which is the user's UUID in a pool
    whose users sign in with an email or phone number as their user name."""
    if pool.extended_config.get("UsernameAttributes"):
        return user.id
    return user.username


def attributes(user):
    return {a["Name"]: a["Value"] for a in user.attributes}


def get_user(request, username):
    """The user for USERNAME (an alias works as in Cognito); UserNotFoundException otherwise, as
    moto answers (Cognito answers NotAuthorizedException with PreventUserExistenceErrors)."""
    from moto.cognitoidp.exceptions import UserNotFoundError

    if not username:
        raise invalid_parameter("Missing required parameter USERNAME")
    user = request.pool._get_user(username)
    if user is None:
        raise UserNotFoundError("User does not exist.")
    return user


def check_user_can_sign_in(user):
    if not user.enabled:
        raise not_authorized("User is disabled.")
    if str(getattr(user.status, "value", user.status)) == "UNCONFIRMED":
        raise CognitoError("UserNotConfirmedException", "User is not confirmed.")


def check_secret_hash(request, username, secret_hash=None):
    """SECRET_HASH for app clients with a secret, as Cognito checks it on every step."""
    from moto.cognitoidp.utils import check_secret_hash as valid

    client = request.client
    if not client.generate_secret:
        return
    value = secret_hash if secret_hash is not None else request.params.get("SECRET_HASH")
    if not value:
        raise not_authorized(
            f"Client {client.id} is configured for secret but secret was not received"
        )
    if not valid(client.secret, client.id, username, value):
        raise not_authorized(f"Unable to verify secret hash for client {client.id}")


# --- Sessions --------------------------------------------------------------------------------


class AuthSession:
    """A step of a sign-in that the harness (not moto) answers."""

    def __init__(self, request, expects, username, **data):
        self.id = secrets.token_urlsafe(48)
        self.expects = expects
        self.pool_id = request.pool.id
        self.client_id = request.client.id
        self.username = username
        minutes = int(request.client.extended_config.get("AuthSessionValidity") or 3)
        self.expires = time.monotonic() + 60 * minutes
        self.data = data

    def expired(self):
        return time.monotonic() > self.expires


def _sessions(backend):
    if not hasattr(backend, "cogauth_auth_sessions"):
        backend.cogauth_auth_sessions = {}
    return backend.cogauth_auth_sessions


def new_session(request, expects, username, **data):
    session = AuthSession(request, expects, username, **data)
    with _LOCK:
        _sessions(request.backend)[session.id] = session
        for key in data.get("aliases", ()):
            _sessions(request.backend)[key] = session
    return session


def find_session(request, expects, key=None, keep=False):
    """The live session for this challenge: by `key` (a SECRET_BLOCK) or by the request's Session.
    Taken out of the store unless `keep`. NotAuthorizedException when there is none."""
    key = key or request.session_id
    with _LOCK:
        store = _sessions(request.backend)
        session = store.get(key) if key else None
        if session is None or session.expired():
            raise not_authorized(INVALID_SESSION)
        if session.client_id != request.client.id or session.expects not in expects:
            raise not_authorized(INVALID_SESSION)
        if not keep:
            drop_session(request.backend, session)
    return session


def find_session_where(request, expects, predicate):
    """A live session found by its content (for clients that omit Session, as pycognito does
    for the device challenges); taken out of the store."""
    with _LOCK:
        for session in list(_sessions(request.backend).values()):
            if (
                session.client_id == request.client.id
                and session.expects in expects
                and not session.expired()
                and predicate(session)
            ):
                drop_session(request.backend, session)
                return session
    raise not_authorized(INVALID_SESSION)


def drop_session(backend, session):
    with _LOCK:
        store = _sessions(backend)
        for key, value in list(store.items()):
            if value is session:
                del store[key]


def challenge(session_or_none, name, parameters, username=None, **extra):
    """An InitiateAuth / RespondToAuthChallenge answer that asks for `name`."""
    answer = {"ChallengeName": name, "ChallengeParameters": dict(parameters)}
    if username is not None:
        answer["ChallengeParameters"].setdefault("USERNAME", username)
    if session_or_none is not None:
        answer["Session"] = session_or_none.id
    answer.update(extra)
    return answer


# --- What every first factor ends in ---------------------------------------------------------


def _moto_meta(backend):
    if not hasattr(backend, "cogauth_moto_session_meta"):
        backend.cogauth_moto_session_meta = {}
    return backend.cogauth_moto_session_meta


def after_first_factor(request, user, device_key=None, moto_next=True):
    """The first factor is proven: device authentication if the request presents a confirmed
    device, then `continue_signin`. `moto_next=False` for first factors that complete the sign-in
    by themselves (one-time codes, a custom challenge that issues tokens)."""
    from . import devices

    device = devices.confirmed_device(request.pool, user, device_key)
    if device is not None:
        return devices.start_device_auth(request, user, device, moto_next=moto_next)
    return continue_signin(request, user, device_key=device_key, device=None, moto_next=moto_next)


def continue_signin(request, user, device_key=None, device=None, moto_next=True):
    """moto's own next step after a verified password (NEW_PASSWORD_REQUIRED, MFA_SETUP, an MFA
    challenge, or tokens), with MFA dropped when `device` (verified by device SRP) is remembered
    and the pool lets remembered devices skip it."""
    from . import devices

    backend, pool, client = request.backend, request.pool, request.client
    meta = {"device_key": device.key if device else device_key, "device_verified": bool(device)}
    if not moto_next:
        result = backend._log_user_in(pool, client, user.username)
        return finish(request, result, meta)
    sid = secrets.token_urlsafe(48)
    backend.sessions[sid] = (user.username, pool)
    result = backend.respond_to_auth_challenge(
        sid,
        client.id,
        "PASSWORD_VERIFIER",
        {
            "USERNAME": user.username,
            "PASSWORD_CLAIM_SIGNATURE": "verified-by-the-harness",
            "PASSWORD_CLAIM_SECRET_BLOCK": sid,
            "TIMESTAMP": "verified-by-the-harness",
        },
    )
    if result.get("ChallengeName") in MFA_CHALLENGES and devices.skips_mfa(pool, device):
        backend.sessions.pop(sid, None)
        result = backend._log_user_in(pool, client, user.username)
    return finish(request, result, meta)


def finish(request, result, meta):
    """Records what a moto session needs later, and runs AFTER_TOKENS on tokens."""
    if result.get("Session") and "AuthenticationResult" not in result:
        with _LOCK:
            _moto_meta(request.backend)[result["Session"]] = meta
    auth = result.get("AuthenticationResult")
    if auth and auth.get("RefreshToken"):
        for hook in AFTER_TOKENS:
            hook(request, result, meta)
    return result


# --- The wrappers ----------------------------------------------------------------------------


def install():
    from moto.cognitoidp import responses
    from moto.core.responses import ActionResult

    original_initiate = responses.CognitoIdpResponse.initiate_auth
    original_respond = responses.CognitoIdpResponse.respond_to_auth_challenge

    def initiate_auth(self):
        request = Request(self, "InitiateAuth")
        for check in CHECKS:
            check(request)
        handler = FLOWS.get(request.flow)
        result = handler(request) if handler else None
        if result is None:
            result = original_initiate(self).result
            if request.flow not in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
                meta = {"device_key": request.device_key, "device_verified": False}
                result = finish(request, result, meta)
        return ActionResult(result)

    def respond_to_auth_challenge(self):
        request = Request(self, "RespondToAuthChallenge")
        handler = CHALLENGES.get(request.challenge_name)
        result = handler(request) if handler else None
        if result is None:
            key = request.session_id or ""
            with _LOCK:
                meta = _moto_meta(request.backend).get(key)
            meta = meta or {"device_key": request.device_key, "device_verified": False}
            # Taken only once moto accepted the answer: a wrong MFA code keeps the session.
            answer = original_respond(self).result
            with _LOCK:
                _moto_meta(request.backend).pop(key, None)
            result = finish(request, answer, meta)
        return ActionResult(result)

    responses.CognitoIdpResponse.initiate_auth = initiate_auth
    responses.CognitoIdpResponse.respond_to_auth_challenge = respond_to_auth_challenge
