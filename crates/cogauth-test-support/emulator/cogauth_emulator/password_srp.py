"""USER_SRP_AUTH whose PASSWORD_VERIFIER is verified.

moto 5.2.5 answers USER_SRP_AUTH with a random SALT and SRP_B and a UUID as SECRET_BLOCK, and
never checks PASSWORD_CLAIM_SIGNATURE: a wrong password gets tokens. Here the server side of SRP
(srp_server.py) runs for real. moto keeps the password in clear, so the verifier is derived per
login from a salt the server picks; the SECRET_BLOCK is random bytes in base64, single-use; the
TIMESTAMP is parsed and re-rendered as Cognito does (see srp_server.canonical_timestamp).

Answers, as Cognito gives them:
- InitiateAuth: PASSWORD_VERIFIER with SALT, SRP_B, SECRET_BLOCK, USERNAME (the internal user
  name) and USER_ID_FOR_SRP (the same, or the user's UUID in pools whose user names are emails
  or phone numbers), and no Session: the SECRET_BLOCK identifies the exchange.
- RespondToAuthChallenge: a wrong proof is NotAuthorizedException "Incorrect username or
  password."; an unknown, used or expired SECRET_BLOCK is NotAuthorizedException "Invalid session
  for the user, session is expired."; a malformed TIMESTAMP is InvalidParameterException.
- After the proof, the sign-in goes on as signin.after_first_factor says (device SRP when a
  confirmed DEVICE_KEY is presented, then moto's NEW_PASSWORD_REQUIRED / MFA / tokens).

`start` is also used by USER_AUTH's PASSWORD_SRP and by CUSTOM_WITH_SRP.
"""

import secrets

from . import signin, srp_server


def start(request, user, srp_a, on_verified, with_session):
    """The PASSWORD_VERIFIER challenge for `user`; `on_verified(request, user)` answers once the
    proof checks out."""
    if not srp_a:
        raise signin.invalid_parameter("Missing required parameter SRP_A")
    try:
        a = srp_server.parse_hex(srp_a, "SRP_A")
    except ValueError as e:
        raise signin.invalid_parameter(str(e)) from None
    if a % srp_server.N == 0:
        raise signin.invalid_parameter("SRP_A is not a valid SRP public value")
    identity = signin.user_id_for_srp(request.pool, user)
    salt = srp_server.new_salt()
    prefix = signin.pool_name(request.pool)
    # A user without a password (passwordless, or never set) can prove none: a random one that
    # nobody knows makes every proof fail, as it would on Cognito.
    password = user.password or secrets.token_urlsafe(32)
    srp = srp_server.ServerSrp(srp_server.verifier(salt, prefix, identity, password))
    secret_block = srp_server.new_secret_block()
    session = signin.new_session(
        request,
        "PASSWORD_VERIFIER",
        user.username,
        srp=srp,
        srp_a=srp_a,
        prefix=prefix,
        identity=identity,
        secret_block=secret_block,
        on_verified=on_verified,
        aliases=[secret_block],
    )
    parameters = {
        "SALT": srp_server.canonical_hex(salt),
        "SRP_B": srp.srp_b_hex(),
        "SECRET_BLOCK": secret_block,
        "USERNAME": user.username,
        "USER_ID_FOR_SRP": identity,
    }
    return signin.challenge(session if with_session else None, "PASSWORD_VERIFIER", parameters)


def check_claim(request, session, prefix, identity):
    """Checks PASSWORD_CLAIM_SIGNATURE / TIMESTAMP of a (device) password verifier answer."""
    p = request.params
    if p.get("PASSWORD_CLAIM_SECRET_BLOCK") != session.data["secret_block"]:
        raise signin.not_authorized(signin.INVALID_SESSION)
    for name in ("PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
        if not p.get(name):
            raise signin.invalid_parameter(f"Missing required parameter {name}")
    try:
        timestamp = srp_server.canonical_timestamp(p["TIMESTAMP"])
    except srp_server.TimestampOutOfWindow:
        raise signin.not_authorized() from None
    except ValueError as e:
        raise signin.invalid_parameter(str(e)) from None
    try:
        ok = session.data["srp"].verify(
            session.data["srp_a"],
            prefix,
            identity,
            session.data["secret_block"],
            timestamp,
            p["PASSWORD_CLAIM_SIGNATURE"],
        )
    except ValueError:
        ok = False
    if not ok:
        raise signin.not_authorized()


def same_user(request, session):
    """The user the challenge was issued for; USERNAME must name them (an alias works)."""
    user = signin.get_user(request, request.params.get("USERNAME"))
    if user.username != session.username:
        raise signin.not_authorized(signin.INVALID_SESSION)
    signin.check_secret_hash(request, request.params.get("USERNAME"))
    return user


def respond(request):
    block = request.params.get("PASSWORD_CLAIM_SECRET_BLOCK")
    session = signin.find_session(request, ("PASSWORD_VERIFIER",), key=block or None)
    user = same_user(request, session)
    check_claim(request, session, session.data["prefix"], session.data["identity"])
    return session.data["on_verified"](request, user)


def initiate(request):
    username = request.params.get("USERNAME")
    signin.check_secret_hash(request, username)
    user = signin.get_user(request, username)
    signin.check_user_can_sign_in(user)
    presented = request.device_key

    def verified(answer, user):
        return signin.after_first_factor(answer, user, device_key=answer.device_key or presented)

    return start(request, user, request.params.get("SRP_A"), verified, with_session=False)


def install():
    signin.FLOWS["USER_SRP_AUTH"] = initiate
    signin.CHALLENGES["PASSWORD_VERIFIER"] = respond
