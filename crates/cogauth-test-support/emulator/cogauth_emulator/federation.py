"""A fake of the AWS federation endpoint (`https://signin.aws.amazon.com/federation`) at
`/federation` on the emulator, for console sign-in, and `/cogauth-test/federation` to read what
it was sent.

Per the IAM User Guide ("Enable custom identity broker access to the AWS console"):

- `Action=getSigninToken` with `Session` = the JSON `{"sessionId","sessionKey","sessionToken"}`
  of temporary credentials, and optionally `SessionDuration` (seconds of console session,
  900 to 43200). It answers `{"SigninToken": "..."}`. SessionDuration is refused for
  credentials from GetFederationToken ("Do not use the SessionDuration HTTP parameter if you
  got the temporary credentials with GetFederationToken. Doing so will cause the operation to
  fail."). Without it the console session lasts as long as the credentials.
- `Action=login` with `Destination` (the console URL), `SigninToken` and usually `Issuer`. A
  sign-in token is good for 15 minutes; the endpoint redirects (302) to the destination.

The fake accepts only live temporary credentials that this emulator issued: moto STS assumed
roles (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML, and the role-mapped Cognito
credentials of `role_mapping`), credentials from GetFederationToken, and moto's fixed Cognito
identity credentials while an answer carrying them is unexpired. Credentials from
GetSessionToken and long-term IAM user keys cannot sign in to the console (the STS comparison
of credentials: "SSO to console: No" for GetSessionToken) and are refused. Every failure is HTTP
400 with a JSON body `{"Error": code, "Message": text}`; the real endpoint's error body is not
documented, so clients must rely on the status only. Parameters are read from the query string
(GET, as in the guide's examples) or from a form body (POST).

`GET /cogauth-test/federation` lists every request (no secret in it: no sessionKey, no
sessionToken, no sign-in token, only a `TokenRef` = the first 16 hex digits of its SHA-256);
`DELETE` clears the list; `POST /cogauth-test/federation/expire-tokens` ages every sign-in token
past its 15 minutes, so a test can see a stale token refused.
"""

import hashlib
import json
import re
import secrets
import threading
import time
import urllib.parse

from . import routes

TOKEN_LIFETIME = 15 * 60
MIN_SESSION, MAX_SESSION = 900, 43200

LOCK = threading.Lock()
REQUESTS = []
TOKENS = {}


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def token_ref(token):
    return hashlib.sha256(token.encode()).hexdigest()[:16]


# --- which credentials are live ------------------------------------------------------------


def _epoch(moment):
    import calendar

    if isinstance(moment, (int, float)):
        return float(moment)
    return calendar.timegm(moment.utctimetuple()) if moment.tzinfo is None else moment.timestamp()


def _issued(backend):
    if not hasattr(backend, "cogauth_issued"):
        backend.cogauth_issued = []
    return backend.cogauth_issued


def _remember(backend, kind, credentials, expiration):
    entry = {
        "kind": kind,
        "id": credentials["AccessKeyId"],
        "key": credentials.get("SecretAccessKey") or credentials.get("SecretKey"),
        "token": credentials["SessionToken"],
        "expires": _epoch(expiration),
    }
    with LOCK:
        issued = _issued(backend)
        # moto hands out the same fixed keys every time: keep one entry, the latest expiry.
        for known in issued:
            if all(known[k] == entry[k] for k in ("kind", "id", "key", "token")):
                known["expires"] = max(known["expires"], entry["expires"])
                return
        issued.append(entry)


def _all_backends(backend_dict):
    for per_account in list(backend_dict.values()):
        for backend in list(per_account.values()):
            yield backend


def find_session(session_id, key, token):
    """What issued these credentials: (kind, expires epoch, role ARN or None); or Refused."""
    from moto.cognitoidentity.models import cognitoidentity_backends
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    matches = []
    for backend in _all_backends(sts_backends):
        for role in list(backend.assumed_roles):
            if role.access_key_id == session_id:
                matches.append(
                    (
                        "AssumedRole",
                        role.secret_access_key,
                        role.session_token,
                        _epoch(role.expiration),
                        role.role_arn,
                    )
                )
        for entry in _issued(backend):
            if entry["id"] == session_id:
                matches.append(
                    (entry["kind"], entry["key"], entry["token"], entry["expires"], None)
                )
    for backend in _all_backends(cognitoidentity_backends):
        for entry in _issued(backend):
            if entry["id"] == session_id:
                matches.append(
                    (entry["kind"], entry["key"], entry["token"], entry["expires"], None)
                )
    exact = [m for m in matches if m[1] == key and m[2] == token]
    if not exact:
        for backend in _all_backends(iam_backends):
            for user in list(getattr(backend, "users", {}).values()):
                if any(k.access_key_id == session_id for k in user.access_keys):
                    raise Refused(
                        "LongTermCredentials",
                        "long-term IAM user keys cannot sign in; use temporary credentials",
                    )
        if matches:
            raise Refused(
                "InvalidSession", "the session key or token does not match the credentials"
            )
        raise Refused("InvalidSession", "the emulator never issued these credentials")
    # The same fixed keys may have been issued many times: the latest expiry decides.
    kind, _, _, expires, role_arn = max(exact, key=lambda m: m[3])
    if kind == "GetSessionToken":
        raise Refused(
            "InvalidSession", "credentials from GetSessionToken cannot sign in to the console"
        )
    if expires <= time.time():
        raise Refused("ExpiredSession", "the credentials have expired")
    return kind, expires, role_arn


# --- the endpoint --------------------------------------------------------------------------


def _params(environ):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "", keep_blank_values=True)
    form = {}
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    merged = {}
    for source in (query, form):
        for name, values in source.items():
            if name in merged or len(values) != 1:
                raise Refused("MalformedRequest", f"parameter {name} is given more than once")
            merged[name] = values[0]
    where = "+".join(n for n, s in (("query", query), ("form", form)) if s) or "none"
    return merged, where


def _session(params, record):
    raw = params.get("Session")
    if not raw:
        raise Refused("MissingParameter", "getSigninToken needs the Session parameter")
    try:
        session = json.loads(raw)
    except ValueError:
        raise Refused("MalformedSession", "Session is not JSON")
    if not isinstance(session, dict):
        raise Refused("MalformedSession", "Session must be a JSON object")
    record["SessionFields"] = sorted(session)
    fields = ("sessionId", "sessionKey", "sessionToken")
    missing = [f for f in fields if not isinstance(session.get(f), str) or not session.get(f)]
    if missing:
        raise Refused("MalformedSession", f"Session lacks {', '.join(missing)}")
    record["SessionId"] = session["sessionId"]
    return session


def _duration(params, record):
    raw = params.get("SessionDuration")
    if raw is None:
        return None
    record["SessionDuration"] = raw
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not MIN_SESSION <= int(raw) <= MAX_SESSION:
        raise Refused(
            "InvalidSessionDuration",
            f"SessionDuration must be whole seconds from {MIN_SESSION} to {MAX_SESSION}",
        )
    return int(raw)


def get_signin_token(params, record):
    session = _session(params, record)
    duration = _duration(params, record)
    kind, expires, role_arn = find_session(
        session["sessionId"], session["sessionKey"], session["sessionToken"]
    )
    record["CredentialSource"] = kind
    record["RoleArn"] = role_arn
    if duration is not None and kind == "GetFederationToken":
        raise Refused(
            "InvalidSessionDuration",
            "SessionDuration is not allowed with credentials from GetFederationToken",
        )
    now = time.time()
    console_seconds = duration if duration is not None else max(0, int(expires - now))
    token = secrets.token_urlsafe(96)
    with LOCK:
        TOKENS[token] = {
            "expires": now + TOKEN_LIFETIME,
            "console_seconds": console_seconds,
            "role_arn": role_arn,
            "session_id": session["sessionId"],
        }
    record["TokenRef"] = token_ref(token)
    record["ConsoleSessionSeconds"] = console_seconds
    return {"SigninToken": token}


def _destination(url, name):
    parsed = urllib.parse.urlsplit(url or "")
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    allowed = parsed.scheme == "https" or (parsed.scheme == "http" and loopback)
    if not allowed or not parsed.netloc:
        raise Refused("InvalidParameter", f"{name} must be an absolute https URL")
    return url


def login(params, record):
    for name in ("Issuer", "Destination"):
        if name in params:
            record[name] = params[name]
    token = params.get("SigninToken")
    destination = params.get("Destination")
    if not token:
        raise Refused("MissingParameter", "login needs the SigninToken parameter")
    record["TokenRef"] = token_ref(token)
    if not destination:
        raise Refused("MissingParameter", "login needs the Destination parameter")
    _destination(destination, "Destination")
    if params.get("Issuer"):
        _destination(params["Issuer"], "Issuer")
    with LOCK:
        entry = TOKENS.get(token)
    if entry is None:
        raise Refused("InvalidSigninToken", "the sign-in token is not one this endpoint issued")
    if entry["expires"] <= time.time():
        raise Refused("ExpiredSigninToken", "the sign-in token is older than 15 minutes")
    record["RoleArn"] = entry["role_arn"]
    record["SessionId"] = entry["session_id"]
    record["ConsoleSessionSeconds"] = entry["console_seconds"]
    return destination


def federation_app(environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    record = {"Time": time.time(), "Method": method, "Path": environ.get("PATH_INFO")}
    try:
        if method not in ("GET", "POST"):
            record["Status"] = 405
            start_response(
                "405 Method Not Allowed", [("Allow", "GET, POST"), ("Content-Length", "0")]
            )
            return [b""]
        params, where = _params(environ)
        record["ParamsIn"] = where
        record["Parameters"] = sorted(params)
        action = params.get("Action")
        record["Action"] = action
        if action == "getSigninToken":
            body = get_signin_token(params, record)
            record["Status"] = 200
            return routes.json_response(start_response, body)
        if action == "login":
            location = login(params, record)
            record["Status"] = 302
            start_response("302 Found", [("Location", location), ("Content-Length", "0")])
            return [b""]
        raise Refused("InvalidAction", "Action must be getSigninToken or login")
    except Refused as refused:
        record["Status"] = 400
        record["Error"] = refused.code
        record["Message"] = refused.message
        return routes.json_response(
            start_response, {"Error": refused.code, "Message": refused.message}, "400 Bad Request"
        )
    finally:
        with LOCK:
            REQUESTS.append(record)


def test_app(environ, start_response):
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO") or ""
    if path.endswith("/expire-tokens") and method == "POST":
        with LOCK:
            for entry in TOKENS.values():
                entry["expires"] = 0
        return routes.json_response(start_response, {"Expired": len(TOKENS)})
    if method == "DELETE":
        with LOCK:
            REQUESTS.clear()
        return routes.json_response(start_response, {"Requests": []})
    with LOCK:
        body = {"Requests": list(REQUESTS)}
    return routes.json_response(start_response, body)


# --- wiring --------------------------------------------------------------------------------


def install():
    from moto.cognitoidentity import models as identity_models
    from moto.sts import responses as sts_responses

    def remembering(original, kind):
        def wrapper(self):
            answer = original(self)
            credentials = answer.result["Credentials"]
            _remember(self.backend, kind, credentials, credentials["Expiration"])
            return answer

        return wrapper

    for name, kind in (
        ("get_federation_token", "GetFederationToken"),
        ("get_session_token", "GetSessionToken"),
    ):
        original = getattr(sts_responses.TokenResponse, name)
        setattr(sts_responses.TokenResponse, name, remembering(original, kind))

    original_credentials = identity_models.CognitoIdentityBackend.get_credentials_for_identity

    def get_credentials_for_identity(self, identity_id):
        answer = original_credentials(self, identity_id)
        credentials = json.loads(answer)["Credentials"]
        _remember(self, "CognitoIdentity", credentials, credentials["Expiration"])
        return answer

    identity_models.CognitoIdentityBackend.get_credentials_for_identity = (
        get_credentials_for_identity
    )

    routes.register("/federation", federation_app)
    routes.register("/cogauth-test/federation", test_app)
