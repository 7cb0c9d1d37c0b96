"""Managed login (the user pool domain's OAuth 2.0 / OIDC endpoints): moto 5.2.5 serves none.

Every user pool domain created with CreateUserPoolDomain is served under

    http://127.0.0.1:PORT/managed-login/<domain>

(the `managed_login_url` a test configures), with Cognito's paths below it:

- GET  /oauth2/authorize: checks the client, `redirect_uri` against the client's CallbackURLs
  exactly (a mismatch is Cognito's error page, never a redirect), `response_type=code`, the code
  flow and the scopes allowed on the client, and a PKCE S256 `code_challenge` (required here:
  see docs/emulator.md); keeps `state` and `nonce`; honours `login_hint`, `identity_provider` /
  `idp_identifier` and `prompt`. With a managed-login session cookie it answers with a code at
  once, else it redirects to /login (or, with an external provider, to the fake IdP).
- GET/POST /login: the sign-in form; the password is checked against the moto user, a disabled or
  unconfirmed user is refused, a temporary password asks for a new one, a user with TOTP MFA is
  asked for a code. "Cancel" answers `error=access_denied`.
- POST /oauth2/token: `authorization_code` (one-time codes that expire after 5 minutes, the same
  `redirect_uri`, the PKCE verifier, client authentication by HTTP Basic or `client_secret` in
  the body) and `refresh_token`. Tokens are minted by moto's own functions
  (managed_login_tokens), so GetId, GetCredentialsForIdentity, REFRESH_TOKEN_AUTH, GetUser and
  RevokeToken accept them.
- POST /oauth2/revoke, GET /logout, GET|POST /oauth2/userInfo, GET /oauth2/idpresponse (the fake
  IdP's return, managed_login_idp), GET /error.

Cognito's discovery document `<endpoint>/<pool id>/.well-known/openid-configuration` lists these
endpoints when the pool has a domain, with the emulator's URLs.

Test routes: POST /cogauth-test/managed-login/age?seconds=N (ages codes, sessions and pending
sign-ins, e.g. to expire codes without waiting) and GET /cogauth-test/managed-login/log?domain=D
(the requests each endpoint received and what it answered, without codes, verifiers, secrets or
tokens).

State lives on moto's pool objects, so /moto-api/reset clears it.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid

from werkzeug.wrappers import Request, Response

from . import managed_login_idp as idp
from . import managed_login_pages as pages
from . import managed_login_tokens as tokens
from . import routes

PREFIX = "/managed-login"
TEST_PREFIX = "/cogauth-test/managed-login"
CODE_TTL = 300  # Cognito: "a one time use code that is valid for five minutes"
SESSION_TTL = 3600  # the managed-login session cookie lasts an hour
PENDING_TTL = 180  # a sign-in step (new password, MFA) must be finished within 3 minutes
SESSION_COOKIE = "cognito"
CSRF_COOKIE = "XSRF-TOKEN"
STANDARD_SCOPES = ("openid", "email", "phone", "profile")
PROMPTS = ("login", "none", "select_account", "consent")
PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
PKCE_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
UNAVAILABLE = "Login option is not available. Please try another one."
SCOPE_CLAIMS = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}


class State:
    """Managed-login state of one user pool."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {}  # code -> dict
        self.sessions = {}  # session id -> dict(username, issued, auth_time)
        self.pending = {}  # sign-in step id -> dict(username, issued)
        self.idp_requests = {}  # opaque state sent to the IdP -> dict(args, provider, issued)
        self.log = {"authorize": [], "login": [], "token": [], "revoke": [], "logout": [], "userinfo": []}

    def record(self, endpoint, entry):
        with self.lock:
            self.log[endpoint].append(entry)


def state_of(pool):
    if not hasattr(pool, "cogauth_managed_login"):
        pool.cogauth_managed_login = State()
    return pool.cogauth_managed_login


def all_backends():
    from moto.cognitoidp.models import cognitoidp_backends

    for account in list(cognitoidp_backends.values()):
        for region, backend in list(account.items()):
            if region != "global":
                yield backend


def find_domain(domain):
    """(backend, pool) of a user pool domain, or (None, None)."""
    for backend in all_backends():
        entry = backend.user_pool_domains.get(domain)
        if entry is not None:
            pool = backend.user_pools.get(entry.user_pool_id)
            if pool is not None:
                return backend, pool
    return None, None


def base_url(host_url, domain):
    return host_url.rstrip("/") + PREFIX + "/" + urllib.parse.quote(domain, safe="")


def json_response(body, status=200, headers=None):
    response = Response(json.dumps(body), status=status, content_type="application/json;charset=UTF-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def oauth_error(error, description, status=400, headers=None):
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(body, status, headers)


def error_page_redirect(base, error, client_id=None, description=None):
    """Cognito's own error page (a redirect within the domain, never to the app)."""
    return idp.redirect(
        idp.with_query(
            base + "/error", {"error": error, "client_id": client_id, "error_description": description}
        )
    )


def app_redirect(redirect_uri, params, cookies=()):
    return idp.redirect(idp.with_query(redirect_uri, params), cookies)


def cookie(name, value, path, max_age=None, http_only=True):
    parts = [f"{name}={value}", f"Path={path}", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    return "; ".join(parts)


class Refusal(Exception):
    """An authorization request refused: `response` is what Cognito answers."""

    def __init__(self, response):
        super().__init__("refused")
        self.response = response


class AuthRequest:
    """A validated authorization request."""

    def __init__(self, args, client):
        self.args = args
        self.client = client
        self.client_id = client.id
        self.redirect_uri = args["redirect_uri"]
        self.state = args.get("state")
        self.nonce = args.get("nonce")
        self.challenge = args.get("code_challenge")
        self.login_hint = args.get("login_hint", "")
        self.prompts = args.get("prompt", "").split()
        self.scopes = []
        self.provider = None  # None: the managed login page; else a moto identity provider
        self.unavailable = None  # the message for a provider the client cannot use

    def error(self, error, description=None):
        return app_redirect(
            self.redirect_uri, {"error": error, "error_description": description, "state": self.state}
        )

    def refuse(self, error, description=None):
        raise Refusal(self.error(error, description))


def client_config(client, key, default=None):
    value = client.extended_config.get(key)
    return default if value is None else value


def validate_authorize(pool, base, args):
    """The AuthRequest of `args`; raises Refusal with the answer Cognito gives otherwise."""
    client_id = args.get("client_id")
    if not client_id:
        raise Refusal(
            error_page_redirect(base, "invalid_request", None, "Required parameters missing: client_id")
        )
    client = pool.clients.get(client_id)
    if client is None:
        description = f"client_id {client_id} is not an app client of this user pool"
        raise Refusal(error_page_redirect(base, "invalid_request", client_id, description))
    redirect_uri = args.get("redirect_uri")
    if not redirect_uri:
        description = "Required parameters missing: redirect_uri"
        raise Refusal(error_page_redirect(base, "invalid_request", client_id, description))
    if redirect_uri not in client_config(client, "CallbackURLs", []):
        # Never a redirect to an unregistered URI: Cognito's own error page.
        raise Refusal(error_page_redirect(base, "redirect_mismatch", client_id))

    request = AuthRequest(args, client)
    response_type = args.get("response_type")
    if response_type not in ("code", "token"):
        request.refuse("invalid_request", "response_type must be code or token")
    flow = "code" if response_type == "code" else "implicit"
    oauth_enabled = bool(client_config(client, "AllowedOAuthFlowsUserPoolClient", False))
    if not oauth_enabled or flow not in client_config(client, "AllowedOAuthFlows", []):
        request.refuse("unauthorized_client", f"the app client does not allow the {flow} flow")
    if response_type == "token":
        request.refuse("unsupported_response_type", "the emulator serves the code flow only")

    allowed = client_config(client, "AllowedOAuthScopes", [])
    scopes = args.get("scope", "").split() or list(allowed)
    needs_openid = any(s in ("email", "phone", "profile") for s in scopes)
    if any(s not in allowed for s in scopes) or (needs_openid and "openid" not in scopes):
        # Cognito shows invalid_scope on its own error page (observed), not at the redirect_uri.
        raise Refusal(error_page_redirect(base, "invalid_scope", client_id))
    request.scopes = list(dict.fromkeys(scopes))

    method, challenge = args.get("code_challenge_method"), args.get("code_challenge")
    if challenge and not method:
        request.refuse("invalid_request", "code_challenge_method is required with code_challenge")
    if method and not challenge:
        request.refuse("invalid_request", "code_challenge is required with code_challenge_method")
    if not challenge:
        # Cognito accepts a request without PKCE; the harness does not (docs/emulator.md).
        request.refuse(
            "invalid_request", "code_challenge is required: use PKCE with code_challenge_method=S256"
        )
    if method != "S256":
        request.refuse("invalid_request", "code_challenge_method must be S256")
    if not PKCE_CHALLENGE.match(challenge):
        request.refuse(
            "invalid_request",
            "code_challenge must be the unpadded base64url SHA-256 of the verifier (43 characters)",
        )

    prompts = request.prompts
    if any(p not in PROMPTS for p in prompts) or ("none" in prompts and len(prompts) > 1):
        request.refuse("invalid_request", "prompt must be login, none, select_account or consent")

    supported = client_config(client, "SupportedIdentityProviders", [])
    name = args.get("identity_provider")
    if not name and args.get("idp_identifier"):
        identifier = args["idp_identifier"]
        name = next(
            (
                p.name
                for p in pool.identity_providers.values()
                if identifier in (p.extended_config.get("IdpIdentifiers") or [])
            ),
            identifier,
        )
    if name and name != "COGNITO":
        provider = pool.identity_providers.get(name)
        if provider is None or name not in supported:
            request.unavailable = UNAVAILABLE
        else:
            request.provider = provider
    elif name == "COGNITO" and "COGNITO" not in supported:
        request.unavailable = UNAVAILABLE
    return request


def current_session(pool, state, request):
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    with state.lock:
        session = state.sessions.get(sid)
    if session is None or time.time() - session["issued"] > SESSION_TTL:
        return None
    user = pool.users.get(session["username"])
    if user is None or not user.enabled:
        return None
    return session


def issue_code(state, auth, username, auth_time):
    code = str(uuid.uuid4())
    with state.lock:
        state.codes[code] = {
            "client_id": auth.client_id,
            "redirect_uri": auth.redirect_uri,
            "username": username,
            "scopes": auth.scopes,
            "nonce": auth.nonce,
            "challenge": auth.challenge,
            "issued": time.time(),
            "auth_time": auth_time,
            "used": False,
            "refresh_token": None,
        }
    return code


def complete_sign_in(pool, state, base_path, auth, username):
    """A new managed-login session (the cookie) and a code for the app."""
    now = int(time.time())
    sid = secrets.token_urlsafe(32)
    with state.lock:
        state.sessions[sid] = {"username": username, "issued": time.time(), "auth_time": now}
    code = issue_code(state, auth, username, now)
    session_cookie = cookie(SESSION_COOKIE, sid, base_path + "/", SESSION_TTL)
    return app_redirect(auth.redirect_uri, {"code": code, "state": auth.state}, [session_cookie])


def providers_for(pool, client, host_url, base, args):
    supported = client_config(client, "SupportedIdentityProviders", [])
    links = []
    for name in supported:
        if name != "COGNITO" and name in pool.identity_providers:
            query = {k: v for k, v in args.items() if k not in ("identity_provider", "idp_identifier")}
            query["identity_provider"] = name
            links.append((name, base + "/oauth2/authorize?" + urllib.parse.urlencode(query)))
    return links


class Endpoint:
    """One request to a domain's managed login."""

    def __init__(self, environ, domain, backend, pool):
        self.request = Request(environ)
        self.domain = domain
        self.backend = backend
        self.pool = pool
        self.state = state_of(pool)
        self.host_url = self.request.host_url
        self.base = base_url(self.host_url, domain)
        self.base_path = urllib.parse.urlsplit(self.base).path

    # -- authorize and the sign-in page -----------------------------------------------------

    def authorize(self):
        if self.request.method != "GET":
            return Response(status=405, headers={"Allow": "GET"})
        args = self.request.args.to_dict()
        entry = dict(args)

        def answer(outcome, response):
            entry["outcome"] = outcome
            self.state.record("authorize", entry)
            return response

        try:
            auth = validate_authorize(self.pool, self.base, args)
        except Refusal as refusal:
            return answer("refused: " + refusal.response.headers["Location"], refusal.response)
        session = None
        if "login" not in auth.prompts:
            session = current_session(self.pool, self.state, self.request)
        if "none" in auth.prompts:
            # No page may be shown: the session's code, or login_required.
            if session is None:
                return answer("login_required", auth.error("login_required"))
            code = issue_code(self.state, auth, session["username"], session["auth_time"])
            return answer(
                "code (session)", app_redirect(auth.redirect_uri, {"code": code, "state": auth.state})
            )
        if auth.provider is not None:
            # Straight to the IdP, whatever the session: the IdP has its own.
            opaque = secrets.token_urlsafe(24)
            with self.state.lock:
                self.state.idp_requests[opaque] = {
                    "args": args,
                    "provider": auth.provider.name,
                    "issued": time.time(),
                }
            location = idp.idp_authorize_url(
                self.host_url, auth.provider, self.base + "/oauth2/idpresponse", opaque, auth.login_hint
            )
            return answer("identity provider " + auth.provider.name, idp.redirect(location))
        if session is not None and auth.unavailable is None:
            code = issue_code(self.state, auth, session["username"], session["auth_time"])
            return answer(
                "code (session)", app_redirect(auth.redirect_uri, {"code": code, "state": auth.state})
            )
        return answer("login page", idp.redirect(self.base + "/login?" + urllib.parse.urlencode(args)))

    def login_action(self):
        return self.base + "/login?" + urllib.parse.urlencode(self.request.args.to_dict())

    def render_login(self, auth, error="", status=200, csrf=None):
        csrf = csrf or self.request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        local = "COGNITO" in client_config(auth.client, "SupportedIdentityProviders", [])
        body = pages.login_page(
            self.login_action(),
            csrf,
            login_hint=auth.login_hint,
            error=error,
            providers=providers_for(
                self.pool, auth.client, self.host_url, self.base, self.request.args.to_dict()
            ),
            local_allowed=local,
            pool_name=self.pool.name,
        )
        response = idp.html(body, status)
        response.headers.add("Set-Cookie", cookie(CSRF_COOKIE, csrf, self.base_path + "/"))
        return response

    def login(self):
        args = self.request.args.to_dict()
        try:
            auth = validate_authorize(self.pool, self.base, args)
        except Refusal as refusal:
            return refusal.response
        if self.request.method == "GET":
            return self.render_login(auth, auth.unavailable or "")
        if self.request.method != "POST":
            return Response(status=405, headers={"Allow": "GET, POST"})

        form = self.request.form
        csrf = self.request.cookies.get(CSRF_COOKIE)
        if not csrf or not hmac.compare_digest(csrf, form.get("_csrf", "")):
            self.state.record("login", {"client_id": auth.client_id, "outcome": "csrf refused"})
            return idp.html(
                pages.error_page("invalid_request", "Invalid CSRF token: reload the sign-in page"), 403
            )
        action = form.get("action", "signin")
        if action == "cancel":
            self.state.record("login", {"client_id": auth.client_id, "outcome": "cancelled"})
            return auth.error("access_denied", "The user cancelled the sign-in")
        if action == "new_password":
            return self.new_password(auth, form)
        if action == "totp":
            return self.totp(auth, form)
        return self.sign_in(auth, form)

    def refuse_sign_in(self, auth, message, username):
        self.state.record("login", {"client_id": auth.client_id, "username": username, "outcome": message})
        return self.render_login(auth, message, status=400)

    def sign_in(self, auth, form):
        username = form.get("username", "").strip()
        password = form.get("password", "")
        if "COGNITO" not in client_config(auth.client, "SupportedIdentityProviders", []):
            return self.refuse_sign_in(auth, UNAVAILABLE, username)
        user = self.pool._get_user(username) if username else None
        if user is None or getattr(user, "cogauth_external_provider", False) or user.password != password:
            return self.refuse_sign_in(auth, "Incorrect username or password.", username)
        if not user.enabled:
            return self.refuse_sign_in(auth, "User is disabled.", username)
        status = getattr(user.status, "value", user.status)
        if status == "UNCONFIRMED":
            return self.refuse_sign_in(auth, "User is not confirmed.", username)
        if status == "RESET_REQUIRED":
            return self.refuse_sign_in(auth, "Password reset required for the user.", username)
        if status == "FORCE_CHANGE_PASSWORD":
            return self.next_step(auth, user, "new_password")
        return self.after_password(auth, user)

    def after_password(self, auth, user):
        if (user.software_token_mfa_enabled and user.preferred_mfa_setting == "SOFTWARE_TOKEN_MFA") or (
            self.pool.mfa_config == "ON" and user.token_verified
        ):
            return self.next_step(auth, user, "totp")
        if user.sms_mfa_enabled and user.preferred_mfa_setting == "SMS_MFA":
            return self.refuse_sign_in(auth, "SMS MFA is not emulated by the managed login.", user.username)
        self.state.record(
            "login", {"client_id": auth.client_id, "username": user.username, "outcome": "signed in"}
        )
        return complete_sign_in(self.pool, self.state, self.base_path, auth, user.username)

    def next_step(self, auth, user, step):
        session = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.pending[session] = {
                "username": user.username,
                "client_id": auth.client_id,
                "step": step,
                "issued": time.time(),
            }
        return self.render_step(step, session)

    def render_step(self, step, session, error="", status=200):
        csrf = self.request.cookies.get(CSRF_COOKIE) or ""
        render = pages.new_password_page if step == "new_password" else pages.totp_page
        return idp.html(render(self.login_action(), csrf, session, error), status)

    def take_pending(self, auth, form, step):
        with self.state.lock:
            pending = self.state.pending.get(form.get("session", ""))
        if (
            pending is None
            or pending["step"] != step
            or pending["client_id"] != auth.client_id
            or time.time() - pending["issued"] > PENDING_TTL
        ):
            return None
        return pending

    def new_password(self, auth, form):
        from moto.cognitoidp.models import UserStatus

        pending = self.take_pending(auth, form, "new_password")
        if pending is None:
            return self.refuse_sign_in(auth, "Your session has expired. Please sign in again.", "")
        try:
            self.backend._validate_password(self.pool.id, form.get("new_password", ""))
        except Exception as error:  # moto's InvalidPasswordException
            message = getattr(error, "message", None) or str(error)
            return self.render_step("new_password", form.get("session"), message, 400)
        with self.state.lock:
            self.state.pending.pop(form.get("session"), None)
        user = self.pool.users[pending["username"]]
        user.password = form.get("new_password")
        user.status = UserStatus.CONFIRMED
        return self.after_password(auth, user)

    def totp(self, auth, form):
        from cryptography.hazmat.primitives.twofactor import InvalidToken
        from moto.cognitoidp.models import COGNITO_TOTP_MFA_SECRET
        from moto.cognitoidp.utils import cognito_totp, verify_totp
        from moto.settings import get_cognito_idp_user_pool_enable_totp

        pending = self.take_pending(auth, form, "totp")
        if pending is None:
            return self.refuse_sign_in(auth, "Your session has expired. Please sign in again.", "")
        if get_cognito_idp_user_pool_enable_totp():
            try:
                verify_totp(cognito_totp(COGNITO_TOTP_MFA_SECRET), form.get("code", "").encode())
            except InvalidToken:
                return self.render_step("totp", form.get("session"), "Invalid code received for user", 400)
        with self.state.lock:
            self.state.pending.pop(form.get("session"), None)
        username = pending["username"]
        self.state.record(
            "login", {"client_id": auth.client_id, "username": username, "outcome": "signed in (MFA)"}
        )
        return complete_sign_in(self.pool, self.state, self.base_path, auth, username)

    def idp_response(self):
        args = self.request.args
        with self.state.lock:
            pending = self.state.idp_requests.pop(args.get("state", ""), None)
        if pending is None or time.time() - pending["issued"] > PENDING_TTL:
            return idp.html(pages.error_page("invalid_request", "Invalid state"), 400)
        try:
            auth = validate_authorize(self.pool, self.base, pending["args"])
        except Refusal as refusal:
            return refusal.response
        provider = self.pool.identity_providers.get(pending["provider"])
        if provider is None:
            return auth.error("invalid_request", f"identity provider {pending['provider']} no longer exists")
        if args.get("error"):
            self.state.record(
                "login", {"client_id": auth.client_id, "provider": provider.name, "outcome": args["error"]}
            )
            return auth.error(args["error"], args.get("error_description"))
        claims = idp.redeem_idp_code(
            args.get("code", ""), idp.provider_client_id(provider), self.base + "/oauth2/idpresponse"
        )
        if claims is None:
            return auth.error(
                "invalid_request",
                f"{provider.name} Error - invalid or expired code from the identity provider",
            )
        user = idp.provision_federated_user(self.backend, self.pool, provider, claims)
        if not user.enabled:
            return auth.error("invalid_request", "User is disabled.")
        self.state.record(
            "login",
            {"client_id": auth.client_id, "username": user.username, "outcome": "signed in (federated)"},
        )
        return complete_sign_in(self.pool, self.state, self.base_path, auth, user.username)

    # -- token, revoke, userInfo, logout ------------------------------------------------------

    def client_auth(self, status):
        """(client, method, error Response). Basic (client_secret_basic) or the body
        (client_secret_post); a client with a secret must send it, a public client must not.
        `status` is the HTTP status of invalid_client: 400 at the token endpoint, 401 at the
        revocation endpoint, as Cognito's documentation of each says."""
        form = self.request.form
        header = self.request.headers.get("Authorization", "")
        basic_id = basic_secret = None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                return (
                    None,
                    "invalid",
                    oauth_error("invalid_client", "unsupported Authorization scheme", status),
                )
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
                basic_id, _, basic_secret = decoded.partition(":")
                basic_id = urllib.parse.unquote_plus(basic_id)
                basic_secret = urllib.parse.unquote_plus(basic_secret)
            except (binascii.Error, UnicodeDecodeError):
                return (
                    None,
                    "invalid",
                    oauth_error("invalid_client", "malformed HTTP Basic credentials", status),
                )
        body_id = form.get("client_id")
        body_secret = form.get("client_secret")
        if basic_id is not None and body_secret is not None:
            return (
                None,
                "both",
                oauth_error("invalid_request", "send the client secret once: HTTP Basic or the body", 400),
            )
        if basic_id is not None and body_id and body_id != basic_id:
            return (
                None,
                "basic",
                oauth_error("invalid_client", "client_id differs from the HTTP Basic user", status),
            )
        client_id = basic_id if basic_id is not None else body_id
        method = "basic" if basic_id is not None else ("post" if body_secret is not None else "none")
        secret = basic_secret if basic_id is not None else body_secret
        if not client_id:
            return None, method, oauth_error("invalid_request", "client_id is required", 400)
        client = self.pool.clients.get(client_id)
        if client is None:
            return None, method, oauth_error("invalid_client", "unknown client_id", status)
        if client.generate_secret:
            if not secret or not hmac.compare_digest(secret, client.secret):
                return (
                    None,
                    method,
                    oauth_error("invalid_client", "client secret is missing or wrong", status),
                )
        elif secret:
            return None, method, oauth_error("invalid_client", "the app client has no secret", status)
        return client, method, None

    def form_request(self):
        if self.request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        content_type = self.request.mimetype
        if content_type != "application/x-www-form-urlencoded":
            return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        return None

    def token(self):
        response = self.form_request()
        form = self.request.form
        entry = {
            "grant_type": form.get("grant_type"),
            "client_id": form.get("client_id"),
            "redirect_uri": form.get("redirect_uri"),
            "code_verifier_present": "code_verifier" in form,
        }
        if response is None:
            client, entry["client_auth"], response = self.client_auth(400)
            if client is not None:
                entry["client_id"] = client.id
        if response is None:
            grant_type = form.get("grant_type")
            if not grant_type:
                response = oauth_error("invalid_request", "grant_type is required")
            elif grant_type == "authorization_code":
                response = self.code_grant(client)
            elif grant_type == "refresh_token":
                response = self.refresh_grant(client)
            else:
                response = oauth_error("unsupported_grant_type", f"grant_type {grant_type} is not served")
        entry["outcome"] = outcome_of(response)
        self.state.record("token", entry)
        return response

    def code_grant(self, client):
        form = self.request.form
        code, redirect_uri, verifier = form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
        if not code:
            return oauth_error("invalid_request", "code is required")
        if not redirect_uri:
            return oauth_error("invalid_request", "redirect_uri is required")
        flows = client_config(client, "AllowedOAuthFlows", [])
        if not client_config(client, "AllowedOAuthFlowsUserPoolClient", False) or "code" not in flows:
            return oauth_error("unauthorized_client", "the app client does not allow the code flow")
        with self.state.lock:
            record = self.state.codes.get(code)
            if record is None or record["client_id"] != client.id:
                return oauth_error("invalid_grant", "the authorization code does not exist")
            if record["used"]:
                # RFC 6749 4.1.2: a replayed code is refused, and what it issued is revoked.
                if record["refresh_token"]:
                    tokens.revoke_refresh_token(self.pool, record["refresh_token"])
                return oauth_error("invalid_grant", "the authorization code has been used already")
            record["used"] = True  # one attempt per code, whatever its outcome
        if time.time() - record["issued"] > CODE_TTL:
            return oauth_error("invalid_grant", "the authorization code has expired")
        if redirect_uri not in client_config(client, "CallbackURLs", []):
            # What Cognito answers for a redirect_uri the client does not have (observed).
            return oauth_error("unauthorized_client", "redirect_uri is not a callback URL of the app client")
        if redirect_uri != record["redirect_uri"]:
            return oauth_error("invalid_grant", "redirect_uri differs from the authorization request")
        if record["challenge"]:
            if not verifier:
                return oauth_error(
                    "invalid_request", "code_verifier is required: the code was requested with PKCE"
                )
            if not PKCE_VERIFIER.match(verifier) or not hmac.compare_digest(
                s256(verifier), record["challenge"]
            ):
                return oauth_error("invalid_grant", "code_verifier does not match the code_challenge")
        user = self.pool.users.get(record["username"])
        if user is None or not user.enabled:
            return oauth_error("invalid_grant", "the user is disabled or deleted")
        access_token, id_token, refresh_token, expires_in = tokens.mint(
            self.pool, client.id, record["username"], record["scopes"], record["auth_time"], record["nonce"]
        )
        with self.state.lock:
            record["refresh_token"] = refresh_token
        body = {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
        }
        if "openid" in record["scopes"]:
            body["id_token"] = id_token
        return json_response(body)

    def refresh_grant(self, client):
        refresh_token = self.request.form.get("refresh_token")
        if not refresh_token:
            return oauth_error("invalid_request", "refresh_token is required")
        entry = self.pool.refresh_tokens.get(refresh_token)
        if not entry or entry[0] != client.id:
            return oauth_error("invalid_grant", "Invalid Refresh Token")
        user = self.pool.users.get(entry[1])
        if user is None or not user.enabled:
            return oauth_error("invalid_grant", "User is disabled.")
        access_token, id_token, expires_in = self.pool.create_tokens_from_refresh_token(refresh_token)
        grant = tokens.grant_of_refresh_token(self.pool, refresh_token)
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}
        if grant is None or "openid" in grant.scopes:
            body["id_token"] = id_token
        return json_response(body)

    def revoke(self):
        response = self.form_request()
        entry = {}
        if response is None:
            client, entry["client_auth"], response = self.client_auth(401)
            entry["client_id"] = client.id if client else self.request.form.get("client_id")
        if response is None:
            response = self.revoke_token(client)
        entry["outcome"] = outcome_of(response)
        self.state.record("revoke", entry)
        return response

    def revoke_token(self, client):
        token = self.request.form.get("token")
        if not token:
            return oauth_error("invalid_request", "token is required")
        if not client_config(client, "EnableTokenRevocation", True):
            return oauth_error("invalid_request", "token revocation is disabled for the app client")
        if tokens.is_jwt(token):
            return oauth_error("unsupported_token_type", "only refresh tokens can be revoked")
        entry = self.pool.refresh_tokens.get(token)
        if entry and entry[0] != client.id:
            return oauth_error("unauthorized_client", "the token was not issued to this client")
        if entry:
            tokens.revoke_refresh_token(self.pool, token)
        return Response(status=200, headers={"Cache-Control": "no-store"})

    def userinfo(self):
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")

        def refuse(error, description, status):
            self.state.record("userinfo", {"outcome": error})
            return json_response(
                {"error": error, "error_description": description},
                status,
                {"WWW-Authenticate": f'error="{error}", error_description="{description}"'},
            )

        if scheme.lower() != "bearer" or not token.strip():
            return refuse("invalid_request", "Bad OAuth2 request at UserInfo Endpoint", 400)
        token = token.strip()
        payload = tokens.jwt_payload(token) or {}
        username = (self.pool.access_tokens.get(token) or (None, None))[1]
        user = self.pool.users.get(username) if username else None
        if user is None or not user.enabled or payload.get("exp", 0) < time.time():
            return refuse(
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
                401,
            )
        grant = tokens.grants(self.pool).get(payload.get("origin_jti"))
        scopes = grant.scopes if grant else [tokens.ADMIN_SCOPE]
        if grant is not None and "openid" not in scopes:
            return refuse("invalid_token", "Access token does not contain openid scope", 401)
        attributes = dict(user.attribute_lookup)
        answer = {"sub": attributes.get("sub", user.id), "username": user.username}
        full = tokens.ADMIN_SCOPE in scopes or "profile" in scopes
        for name, value in attributes.items():
            scoped = next((s for s, claims in SCOPE_CLAIMS.items() if name in claims), None)
            if (scoped and scoped in scopes) or (full and not scoped) or (tokens.ADMIN_SCOPE in scopes):
                answer[name] = value
        self.state.record("userinfo", {"username": user.username, "outcome": "ok"})
        return json_response(answer)

    def logout(self):
        args = self.request.args.to_dict()
        entry = dict(args)
        client = self.pool.clients.get(args.get("client_id", ""))
        clear = [cookie(SESSION_COOKIE, "", self.base_path + "/", 0)]
        sid = self.request.cookies.get(SESSION_COOKIE)
        if client is None:
            entry["outcome"] = "invalid client"
            self.state.record("logout", entry)
            return error_page_redirect(
                self.base, "invalid_request", args.get("client_id"), "client_id is required"
            )
        if args.get("logout_uri"):
            if args["logout_uri"] not in client_config(client, "LogoutURLs", []):
                entry["outcome"] = "redirect_mismatch"
                self.state.record("logout", entry)
                return error_page_redirect(self.base, "redirect_mismatch", client.id)
            target = args["logout_uri"]  # every other parameter is ignored
        elif args.get("redirect_uri"):
            try:
                validate_authorize(self.pool, self.base, args)
            except Refusal as refusal:
                entry["outcome"] = "refused: " + refusal.response.headers["Location"]
                self.state.record("logout", entry)
                return refusal.response
            target = self.base + "/login?" + urllib.parse.urlencode(args)
        else:
            entry["outcome"] = "missing logout_uri or redirect_uri"
            self.state.record("logout", entry)
            return error_page_redirect(
                self.base,
                "invalid_request",
                client.id,
                "Required parameters missing: logout_uri or redirect_uri",
            )
        if sid:
            with self.state.lock:
                self.state.sessions.pop(sid, None)
        entry["outcome"] = "signed out" if sid else "no session"
        self.state.record("logout", entry)
        return idp.redirect(target, clear)

    def error(self):
        args = self.request.args
        return idp.html(pages.error_page(args.get("error", "error"), args.get("error_description", "")), 400)


def outcome_of(response):
    """ "ok", or the OAuth error code (or HTTP status) of a refusal, for the request log."""
    if response.status_code == 200:
        return "ok"
    try:
        return json.loads(response.get_data() or b"{}").get("error") or str(response.status_code)
    except ValueError:
        return str(response.status_code)


def s256(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


ROUTES = {
    "/oauth2/authorize": Endpoint.authorize,
    "/login": Endpoint.login,
    "/oauth2/token": Endpoint.token,
    "/oauth2/revoke": Endpoint.revoke,
    "/oauth2/userInfo": Endpoint.userinfo,
    "/logout": Endpoint.logout,
    "/oauth2/idpresponse": Endpoint.idp_response,
    "/error": Endpoint.error,
}


def managed_login_app(environ, start_response):
    path = environ.get("PATH_INFO") or ""
    rest = path[len(PREFIX) :].lstrip("/")
    domain, _, sub = rest.partition("/")
    domain = urllib.parse.unquote(domain)
    backend, pool = find_domain(domain) if domain else (None, None)
    if pool is None:
        body = pages.message_page(
            "Not found", f"No user pool domain {domain!r} on this emulator.", "not-found"
        )
        return idp.html(body, 404)(environ, start_response)
    handler = ROUTES.get("/" + sub.rstrip("/"))
    if handler is None:
        return idp.html(pages.message_page("Not found", "No such page.", "not-found"), 404)(
            environ, start_response
        )
    endpoint = Endpoint(environ, domain, backend, pool)
    return handler(endpoint)(environ, start_response)


def test_app(environ, start_response):
    request = Request(environ)
    action = request.path[len(TEST_PREFIX) :].strip("/")
    if action == "age" and request.method == "POST":
        try:
            seconds = float(request.values.get("seconds", CODE_TTL + 1))
        except ValueError:
            return oauth_error("invalid_request", "seconds must be a number")(environ, start_response)
        aged = 0
        for backend in all_backends():
            for pool in backend.user_pools.values():
                if request.values.get("domain") and (
                    pool.domain is None or pool.domain.domain != request.values["domain"]
                ):
                    continue
                state = state_of(pool)
                with state.lock:
                    for table in (state.codes, state.sessions, state.pending, state.idp_requests):
                        for item in table.values():
                            item["issued"] -= seconds
                            aged += 1
        aged += idp.age_idp_codes(seconds)
        return routes.json_response(start_response, {"aged": aged, "seconds": seconds})
    if action == "log" and request.method == "GET":
        _, pool = find_domain(request.args.get("domain", ""))
        if pool is None:
            return routes.json_response(start_response, {"error": "unknown domain"}, "404 Not Found")
        state = state_of(pool)
        with state.lock:
            log = json.loads(json.dumps(state.log))
        return routes.json_response(start_response, log)
    return routes.json_response(start_response, {"error": "not found"}, "404 Not Found")


def discovery_document(original):
    """Cognito's openid-configuration lists the domain's endpoints when the pool has one."""

    def serve_openid_configuration(*args):
        status, headers, body = original(*args)
        url = urllib.parse.urlparse(args[1])
        pool_id = url.path.strip("/").split("/")[0]
        for backend in all_backends():
            pool = backend.user_pools.get(pool_id)
            if pool is not None and pool.domain is not None:
                document = json.loads(body)
                base = base_url(f"{url.scheme}://{url.netloc}", pool.domain.domain)
                document.update(
                    {
                        "authorization_endpoint": base + "/oauth2/authorize",
                        "token_endpoint": base + "/oauth2/token",
                        "revocation_endpoint": base + "/oauth2/revoke",
                        "end_session_endpoint": base + "/logout",
                        "userinfo_endpoint": base + "/oauth2/userInfo",
                        "token_endpoint_auth_methods_supported": [
                            "client_secret_basic",
                            "client_secret_post",
                        ],
                    }
                )
                body = json.dumps(document).encode()
                break
        return status, headers, body

    serve_openid_configuration.__name__ = "serve_openid_configuration"
    return serve_openid_configuration


def install():
    from moto.cognitoidp import urls

    tokens.install()
    for path, handler in list(urls.url_paths.items()):
        if path.endswith("openid-configuration$"):
            urls.url_paths[path] = discovery_document(handler)
    routes.register(PREFIX, managed_login_app)
    routes.register(TEST_PREFIX, test_app)
    routes.register(idp.IDP_PREFIX, idp.fake_idp_app)
