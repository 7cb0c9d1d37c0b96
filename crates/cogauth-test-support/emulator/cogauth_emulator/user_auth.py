"""Choice-based sign-in: InitiateAuth USER_AUTH, SELECT_CHALLENGE, EMAIL_OTP / SMS_OTP codes.

moto 5.2.5 refuses AuthFlow USER_AUTH in its own parameter check; signin.py takes it first.
Per the API reference (InitiateAuth, RespondToAuthChallenge, SignInPolicyType):
- The app client must allow ALLOW_USER_AUTH (auth_flows.py) and the pool must not be on the Lite
  tier (UserPoolTier LITE: FeatureUnavailableInTierException).
- The challenges offered are the pool's Policies.SignInPolicy.AllowedFirstAuthFactors (default
  [PASSWORD]) that the user can do: PASSWORD gives PASSWORD and PASSWORD_SRP; EMAIL_OTP needs an
  `email` attribute, SMS_OTP a `phone_number`; WEB_AUTHN a registered passkey (see the route).
- AuthParameters USERNAME, PREFERRED_CHALLENGE (+ PASSWORD or SRP_A to answer it at once).
  Without PREFERRED_CHALLENGE, or when it is not available, the answer is SELECT_CHALLENGE with
  AvailableChallenges and a Session; RespondToAuthChallenge SELECT_CHALLENGE takes ANSWER (one of
  AvailableChallenges, else InvalidParameterException) plus PASSWORD / SRP_A where they apply.
- PASSWORD checks the password (NotAuthorizedException); PASSWORD_SRP answers PASSWORD_VERIFIER,
  verified by srp_server.py. Both go on to device SRP / NEW_PASSWORD_REQUIRED / MFA as usual.
- EMAIL_OTP and SMS_OTP: the server makes an 8-digit code, "sends" it (GET /cogauth-test/codes
  shows it) and answers the EMAIL_OTP / SMS_OTP challenge with CODE_DELIVERY_DELIVERY_MEDIUM
  (EMAIL / SMS) and CODE_DELIVERY_DESTINATION masked as Cognito masks it (`a***@e***`,
  `+*******0100`). The answer is EMAIL_OTP_CODE / SMS_OTP_CODE. A wrong code is
  CodeMismatchException and the same Session may be retried; the third wrong code ends the
  session (the count is the harness's choice: Cognito documents none). A right code signs in
  (device SRP if a confirmed device is presented, then tokens: a one-time code is not followed by
  MFA).
- WEB_AUTHN: the challenge carries CREDENTIAL_REQUEST_OPTIONS; any CREDENTIAL is refused with
  NotAuthorizedException, as no authenticator can exist here.

Test routes:
- GET /cogauth-test/codes?user_pool_id=P[&username=U]: {"codes": [{"user_pool_id", "username",
  "medium" (EMAIL|SMS), "destination" (unmasked), "code", "sent_at"}]}, oldest first.
- POST /cogauth-test/passkeys with {"user_pool_id", "username"}: registers a placeholder passkey
  so that WEB_AUTHN is offered to that user; answers {"credential_id": ...}.
"""

import datetime
import hmac
import json
import secrets
import threading
import urllib.parse

from moto.cognitoidp.exceptions import UserNotFoundError

from . import password_srp, routes, signin

CODE_DIGITS = 8
MAX_CODE_ATTEMPTS = 3
_LOCK = threading.Lock()


def _pool_data(pool):
    if not hasattr(pool, "cogauth_user_auth"):
        pool.cogauth_user_auth = {"codes": [], "passkeys": {}}
    return pool.cogauth_user_auth


def mask_email(address):
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def mask_phone(number):
    digits = [c for c in number if c.isdigit()]
    return "+" + "*" * max(0, len(digits) - 4) + "".join(digits[-4:])


def available_challenges(pool, user):
    policy = (pool.extended_config.get("Policies") or {}).get("SignInPolicy") or {}
    factors = policy.get("AllowedFirstAuthFactors") or ["PASSWORD"]
    attributes = signin.attributes(user)
    offered = []
    for factor in factors:
        if factor == "PASSWORD" and user.password:
            offered += ["PASSWORD", "PASSWORD_SRP"]
        elif factor == "EMAIL_OTP" and attributes.get("email"):
            offered.append("EMAIL_OTP")
        elif factor == "SMS_OTP" and attributes.get("phone_number"):
            offered.append("SMS_OTP")
        elif factor == "WEB_AUTHN" and user.username in _pool_data(pool)["passkeys"]:
            offered.append("WEB_AUTHN")
    return offered


def _check_password(request, user, password):
    if not password or password != user.password:
        raise signin.not_authorized()
    return signin.after_first_factor(request, user, device_key=request.device_key)


def _send_code(request, user, medium):
    attribute = "email" if medium == "EMAIL" else "phone_number"
    destination = signin.attributes(user)[attribute]
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with _LOCK:
        _pool_data(request.pool)["codes"].append(
            {
                "user_pool_id": request.pool.id,
                "username": user.username,
                "medium": medium,
                "destination": destination,
                "code": code,
                "sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            }
        )
    masked = mask_email(destination) if medium == "EMAIL" else mask_phone(destination)
    return code, masked


def begin(request, user, choice):
    """Starts (or, with its answer already in the request, completes) the chosen challenge."""
    p = request.params
    device_key = request.device_key
    if choice == "PASSWORD":
        if p.get("PASSWORD"):
            return _check_password(request, user, p["PASSWORD"])
        session = signin.new_session(request, "PASSWORD", user.username, device_key=device_key)
        return signin.challenge(session, "PASSWORD", {}, username=user.username)
    if choice == "PASSWORD_SRP":
        if p.get("SRP_A"):
            return password_srp.start(
                request, user, p["SRP_A"], _after_srp(device_key), with_session=True
            )
        session = signin.new_session(request, "PASSWORD_SRP", user.username, device_key=device_key)
        return signin.challenge(session, "PASSWORD_SRP", {}, username=user.username)
    if choice in ("EMAIL_OTP", "SMS_OTP"):
        medium = "EMAIL" if choice == "EMAIL_OTP" else "SMS"
        code, masked = _send_code(request, user, medium)
        session = signin.new_session(
            request, choice, user.username, code=code, attempts=0, device_key=device_key
        )
        parameters = {"CODE_DELIVERY_DELIVERY_MEDIUM": medium, "CODE_DELIVERY_DESTINATION": masked}
        return signin.challenge(session, choice, parameters, username=user.username)
    if choice == "WEB_AUTHN":
        if p.get("CREDENTIAL"):
            raise _no_authenticator()
        options = {
            "challenge": secrets.token_urlsafe(32),
            "rpId": "localhost",
            "timeout": 180000,
            "userVerification": "required",
            "allowCredentials": [
                {"type": "public-key", "id": _pool_data(request.pool)["passkeys"][user.username]}
            ],
        }
        session = signin.new_session(request, "WEB_AUTHN", user.username, device_key=device_key)
        parameters = {"CREDENTIAL_REQUEST_OPTIONS": json.dumps(options)}
        return signin.challenge(session, "WEB_AUTHN", parameters, username=user.username)
    raise signin.invalid_parameter(f"{choice} is not an available challenge")


def _after_srp(device_key):
    def verified(request, user):
        return signin.after_first_factor(request, user, device_key=request.device_key or device_key)

    return verified


def _no_authenticator():
    return signin.not_authorized(
        "WebAuthn credentials cannot be verified by the cogauth emulator: no authenticator exists "
        "here; sign in with another challenge"
    )


def initiate(request):
    username = request.params.get("USERNAME")
    if (request.pool.extended_config.get("UserPoolTier") or "ESSENTIALS") == "LITE":
        raise signin.CognitoError(
            "FeatureUnavailableInTierException",
            "USER_AUTH needs the Essentials or Plus feature plan; this user pool is on Lite",
        )
    signin.check_secret_hash(request, username)
    user = signin.get_user(request, username)
    signin.check_user_can_sign_in(user)
    available = available_challenges(request.pool, user)
    if not available:
        raise signin.not_authorized(
            "No sign-in method in the user pool's sign-in policy fits the user"
        )
    preferred = request.params.get("PREFERRED_CHALLENGE")
    if preferred and preferred in available:
        return begin(request, user, preferred)
    session = signin.new_session(
        request,
        "SELECT_CHALLENGE",
        user.username,
        available=available,
        device_key=request.device_key,
    )
    return signin.challenge(session, "SELECT_CHALLENGE", {}, AvailableChallenges=available)


def _answering(request, expects):
    session = signin.find_session(request, (expects,), keep=expects.endswith("_OTP"))
    user = password_srp.same_user(request, session)
    return session, user


def respond_select(request):
    session, user = _answering(request, "SELECT_CHALLENGE")
    answer = request.params.get("ANSWER")
    if answer not in session.data["available"]:
        raise signin.invalid_parameter(
            f"ANSWER must be one of the AvailableChallenges: {', '.join(session.data['available'])}"
        )
    return begin(request, user, answer)


def respond_password(request):
    session, user = _answering(request, "PASSWORD")
    return _check_password(request, user, request.params.get("PASSWORD"))


def respond_password_srp(request):
    session, user = _answering(request, "PASSWORD_SRP")
    device_key = session.data["device_key"]
    return password_srp.start(
        request, user, request.params.get("SRP_A"), _after_srp(device_key), with_session=True
    )


def respond_otp(request):
    name = request.challenge_name
    session, user = _answering(request, name)
    code = str(request.params.get(f"{name}_CODE") or "").strip()
    if not hmac.compare_digest(code.encode(), session.data["code"].encode()):
        session.data["attempts"] += 1
        if session.data["attempts"] >= MAX_CODE_ATTEMPTS:
            signin.drop_session(request.backend, session)
        raise signin.CognitoError(
            "CodeMismatchException", "Invalid code or auth state for the user."
        )
    signin.drop_session(request.backend, session)
    device_key = request.device_key or session.data["device_key"]
    return signin.after_first_factor(request, user, device_key=device_key, moto_next=False)


def respond_web_authn(request):
    _answering(request, "WEB_AUTHN")
    raise _no_authenticator()


def codes_app(environ, start_response):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")
    pool_id = (query.get("user_pool_id") or [""])[0]
    username = (query.get("username") or [None])[0]
    pool = signin.find_pool(pool_id)
    if pool is None:
        body = {"error": f"no user pool {pool_id!r}: pass ?user_pool_id=<id>[&username=<name>]"}
        return routes.json_response(start_response, body, "404 Not Found")
    wanted = None
    if username:
        user = pool._get_user(username)
        wanted = user.username if user else username
    with _LOCK:
        codes = [c for c in _pool_data(pool)["codes"] if wanted is None or c["username"] == wanted]
    return routes.json_response(start_response, {"codes": codes})


def passkeys_app(environ, start_response):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        pool = signin.find_pool(body["user_pool_id"])
        user = pool._get_user(body["username"]) if pool else None
        if user is None:
            raise UserNotFoundError("no such user pool or user")
    except (KeyError, ValueError, UserNotFoundError) as e:
        message = f'POST {{"user_pool_id", "username"}} of an existing user ({e})'
        return routes.json_response(start_response, {"error": message}, "400 Bad Request")
    credential = secrets.token_urlsafe(16)
    with _LOCK:
        _pool_data(pool)["passkeys"][user.username] = credential
    return routes.json_response(start_response, {"credential_id": credential})


def install():
    signin.FLOWS["USER_AUTH"] = initiate
    signin.CHALLENGES["SELECT_CHALLENGE"] = respond_select
    signin.CHALLENGES["PASSWORD"] = respond_password
    signin.CHALLENGES["PASSWORD_SRP"] = respond_password_srp
    signin.CHALLENGES["EMAIL_OTP"] = respond_otp
    signin.CHALLENGES["SMS_OTP"] = respond_otp
    signin.CHALLENGES["WEB_AUTHN"] = respond_web_authn
    routes.register("/cogauth-test/codes", codes_app)
    routes.register("/cogauth-test/passkeys", passkeys_app)
