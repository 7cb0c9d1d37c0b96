"""Device tracking and remembered devices, per the pool's DeviceConfiguration.

moto 5.2.5 stores DeviceConfiguration but does nothing with it: no NewDeviceMetadata, no
ConfirmDevice, and DEVICE_SRP_AUTH answers `{}`. Here, as Cognito documents it:
- A pool tracks devices when its DeviceConfiguration has any property.
- A sign-in that presents no confirmed device gets NewDeviceMetadata (DeviceKey
  `<region>_<uuid>`, DeviceGroupKey, one per user) in its AuthenticationResult.
- ConfirmDevice (AccessToken, DeviceKey, DeviceSecretVerifierConfig {PasswordVerifier, Salt},
  DeviceName) stores the verifier and answers UserConfirmationNecessary = the pool's
  DeviceOnlyRememberedOnUserPrompt. The device is then `remembered`, or `not_remembered` until
  UpdateDeviceStatus says otherwise. ListDevices, GetDevice, ForgetDevice, UpdateDeviceStatus and
  their Admin* forms work on the stored devices.
- A sign-in that presents the DEVICE_KEY of a confirmed device goes through DEVICE_SRP_AUTH
  (answer USERNAME, DEVICE_KEY, SRP_A) and DEVICE_PASSWORD_VERIFIER (SRP_B, SALT, SECRET_BLOCK),
  whose PASSWORD_CLAIM_SIGNATURE is VERIFIED against the stored verifier, with the device group
  key and device key in place of pool name and user: a wrong device password is
  NotAuthorizedException. The harness asks for device SRP right after the first factor; Cognito
  may also ask for it after an MFA answer, so clients should accept DEVICE_SRP_AUTH after any
  challenge answer.
- After device SRP, MFA is skipped exactly when the device is `remembered` and the pool's
  ChallengeRequiredOnNewDevice is true.
- Refresh tokens are bound to the device their sign-in ended with. A refresh (REFRESH_TOKEN_AUTH
  or GetTokensFromRefreshToken) of a bound token needs that device confirmed and its DEVICE_KEY
  sent, else NotAuthorizedException "Invalid Refresh Token."; ForgetDevice revokes them.
- USER_PASSWORD_AUTH with the DEVICE_KEY of a confirmed device also goes through device SRP.
"""

import base64
import datetime
import secrets
import uuid

from . import password_srp, signin, srp_server

INVALID_REFRESH_TOKEN = "Invalid Refresh Token."


class Device:
    def __init__(self, key, group_key, username):
        self.key = key
        self.group_key = group_key
        self.username = username
        self.confirmed = False
        self.status = "not_remembered"
        self.name = None
        self.verifier = None
        self.salt = None
        now = datetime.datetime.now(datetime.timezone.utc)
        self.created = self.modified = self.last_authenticated = now

    def to_json(self):
        attributes = [
            {"Name": "device_status", "Value": "valid"},
            {"Name": "dev:device_remembered_status", "Value": self.status},
            {"Name": "last_ip_used", "Value": "127.0.0.1"},
        ]
        if self.name:
            attributes.insert(1, {"Name": "device_name", "Value": self.name})
        return {
            "DeviceKey": self.key,
            "DeviceAttributes": attributes,
            "DeviceCreateDate": self.created,
            "DeviceLastModifiedDate": self.modified,
            "DeviceLastAuthenticatedDate": self.last_authenticated,
        }


def configuration(pool):
    """The pool's DeviceConfiguration, or None when it does not track devices."""
    config = pool.extended_config.get("DeviceConfiguration")
    return config if config else None


def _store(pool):
    if not hasattr(pool, "cogauth_devices"):
        pool.cogauth_devices = {"devices": {}, "groups": {}, "tokens": {}}
    return pool.cogauth_devices


def confirmed_device(pool, user, device_key):
    if not device_key or configuration(pool) is None:
        return None
    device = _store(pool)["devices"].get(device_key)
    if device is None or not device.confirmed or device.username != user.username:
        return None
    return device


def skips_mfa(pool, device):
    config = configuration(pool) or {}
    return bool(
        device is not None
        and device.status == "remembered"
        and config.get("ChallengeRequiredOnNewDevice")
    )


def new_device(pool, username):
    store = _store(pool)
    group = store["groups"].setdefault(username, "-" + secrets.token_urlsafe(6))
    device = Device(f"{pool.region}_{uuid.uuid4()}", group, username)
    store["devices"][device.key] = device
    return device


def after_tokens(request, result, meta):
    """NewDeviceMetadata for a sign-in without a verified device; binds the refresh token."""
    pool = request.pool
    if configuration(pool) is None:
        return
    auth = result["AuthenticationResult"]
    store = _store(pool)
    device = store["devices"].get(meta.get("device_key") or "")
    if meta.get("device_verified") and device is not None:
        device.last_authenticated = datetime.datetime.now(datetime.timezone.utc)
    else:
        username = pool.refresh_tokens[auth["RefreshToken"]][1]
        device = new_device(pool, username)
        auth["NewDeviceMetadata"] = {"DeviceKey": device.key, "DeviceGroupKey": device.group_key}
    store["tokens"][auth["RefreshToken"]] = device.key


def bind_token(pool, old_token, new_token):
    """A rotated refresh token stays bound to its predecessor's device."""
    tokens = _store(pool)["tokens"]
    if old_token in tokens:
        tokens[new_token] = tokens[old_token]


def check_refresh(pool, refresh_token, device_key):
    """The device rule of a refresh: NotAuthorizedException unless a bound token comes with its
    confirmed device's key."""
    bound = _store(pool)["tokens"].get(refresh_token)
    if bound is None:
        return
    device = _store(pool)["devices"].get(bound)
    if device is None or not device.confirmed or device_key != bound:
        raise signin.not_authorized(INVALID_REFRESH_TOKEN)


# --- Device SRP ------------------------------------------------------------------------------


def start_device_auth(request, user, device, moto_next):
    session = signin.new_session(
        request, "DEVICE_SRP_AUTH", user.username, device_key=device.key, moto_next=moto_next
    )
    parameters = {"USERNAME": user.username, "DEVICE_KEY": device.key}
    return signin.challenge(session, "DEVICE_SRP_AUTH", parameters)


def _device_for(request, session):
    device = _store(request.pool)["devices"].get(session.data["device_key"])
    if device is None or not device.confirmed or request.device_key != device.key:
        raise signin.not_authorized(signin.INVALID_SESSION)
    return device


def respond_device_srp_auth(request):
    if request.session_id:
        session = signin.find_session(request, ("DEVICE_SRP_AUTH",))
    else:
        # pycognito answers the device challenges without a Session.
        username, key = request.params.get("USERNAME"), request.device_key

        def matches(s):
            return s.data.get("device_key") == key and s.username in (
                username,
                getattr(request.pool._get_user(username or ""), "username", None),
            )

        session = signin.find_session_where(request, ("DEVICE_SRP_AUTH",), matches)
    user = password_srp.same_user(request, session)
    device = _device_for(request, session)
    srp_a = request.params.get("SRP_A")
    if not srp_a:
        raise signin.invalid_parameter("Missing required parameter SRP_A")
    try:
        if srp_server.parse_hex(srp_a, "SRP_A") % srp_server.N == 0:
            raise ValueError("SRP_A is not a valid SRP public value")
    except ValueError as e:
        raise signin.invalid_parameter(str(e)) from None
    srp = srp_server.ServerSrp(device.verifier)
    secret_block = srp_server.new_secret_block()
    next_session = signin.new_session(
        request,
        "DEVICE_PASSWORD_VERIFIER",
        user.username,
        device_key=device.key,
        moto_next=session.data["moto_next"],
        srp=srp,
        srp_a=srp_a,
        secret_block=secret_block,
        aliases=[secret_block],
    )
    parameters = {
        "USERNAME": user.username,
        "DEVICE_KEY": device.key,
        "SRP_B": srp.srp_b_hex(),
        "SALT": device.salt.hex(),
        "SECRET_BLOCK": secret_block,
    }
    return signin.challenge(next_session, "DEVICE_PASSWORD_VERIFIER", parameters)


def respond_device_password_verifier(request):
    block = request.params.get("PASSWORD_CLAIM_SECRET_BLOCK")
    session = signin.find_session(request, ("DEVICE_PASSWORD_VERIFIER",), key=block or None)
    user = password_srp.same_user(request, session)
    device = _device_for(request, session)
    password_srp.check_claim(request, session, device.group_key, device.key)
    return signin.continue_signin(request, user, device=device, moto_next=session.data["moto_next"])


def initiate_user_password_auth(request):
    """USER_PASSWORD_AUTH with a confirmed device: the password check moto does, then device SRP.
    Without a confirmed device, moto answers."""
    username = request.params.get("USERNAME")
    user = request.pool._get_user(username or "")
    if user is None or confirmed_device(request.pool, user, request.device_key) is None:
        return None
    signin.check_secret_hash(request, username)
    signin.check_user_can_sign_in(user)
    if user.password != request.params.get("PASSWORD"):
        raise signin.not_authorized()
    return signin.after_first_factor(request, user, device_key=request.device_key)


# --- The device operations -------------------------------------------------------------------


def _signed_in(response):
    """(pool, username) for the request's AccessToken; NotAuthorizedException otherwise."""
    token = response._get_param("AccessToken")
    backend = response._get_region_agnostic_backend()._find_backend_by_access_token(token or "")
    for pool in backend.user_pools.values():
        if token and token in pool.access_tokens:
            return pool, pool.access_tokens[token][1]
    raise signin.not_authorized("Invalid Access Token")


def _admin(response):
    backend = response.backend
    pool = backend.describe_user_pool(response._get_param("UserPoolId"))
    user = backend.admin_get_user(pool.id, response._get_param("Username"))
    return pool, user.username


def _device(pool, username, key, confirmed=True):
    device = _store(pool)["devices"].get(key or "")
    if device is None or device.username != username or (confirmed and not device.confirmed):
        raise signin.CognitoError("ResourceNotFoundException", "Device does not exist.")
    return device


def _decode(value, name):
    try:
        raw = base64.b64decode(value or "", validate=True)
    except (ValueError, TypeError):
        raw = b""
    if not raw:
        raise signin.invalid_parameter(f"DeviceSecretVerifierConfig.{name} must be base64")
    return raw


def confirm_device(response):
    from moto.core.responses import ActionResult

    pool, username = _signed_in(response)
    if configuration(pool) is None:
        raise signin.CognitoError(
            "InvalidUserPoolConfigurationException", "Device tracking is not enabled."
        )
    device = _device(pool, username, response._get_param("DeviceKey"), confirmed=False)
    if device.confirmed:
        raise signin.CognitoError("DeviceKeyExistsException", "Device already confirmed.")
    config = response._get_param("DeviceSecretVerifierConfig") or {}
    verifier = int.from_bytes(_decode(config.get("PasswordVerifier"), "PasswordVerifier"), "big")
    if not 0 < verifier < srp_server.N:
        raise signin.invalid_parameter("DeviceSecretVerifierConfig.PasswordVerifier is invalid")
    device.verifier = verifier
    device.salt = _decode(config.get("Salt"), "Salt")
    device.name = response._get_param("DeviceName")
    device.confirmed = True
    prompt = bool(configuration(pool).get("DeviceOnlyRememberedOnUserPrompt"))
    device.status = "not_remembered" if prompt else "remembered"
    device.modified = datetime.datetime.now(datetime.timezone.utc)
    return ActionResult({"UserConfirmationNecessary": prompt})


def _update_status(pool, username, response):
    from moto.core.responses import EmptyResult

    device = _device(pool, username, response._get_param("DeviceKey"))
    status = response._get_param("DeviceRememberedStatus")
    if status not in ("remembered", "not_remembered"):
        raise signin.invalid_parameter(
            "DeviceRememberedStatus must be remembered or not_remembered"
        )
    device.status = status
    device.modified = datetime.datetime.now(datetime.timezone.utc)
    return EmptyResult()


def _list(pool, username, response):
    from moto.core.responses import ActionResult

    devices = [
        d for d in _store(pool)["devices"].values() if d.username == username and d.confirmed
    ]
    devices.sort(key=lambda d: d.created)
    limit = int(response._get_param("Limit") or 60)
    if not 0 < limit <= 60:
        raise signin.invalid_parameter("Limit must be between 1 and 60")
    start = int(response._get_param("PaginationToken") or 0)
    answer = {"Devices": [d.to_json() for d in devices[start : start + limit]]}
    if start + limit < len(devices):
        answer["PaginationToken"] = str(start + limit)
    return ActionResult(answer)


def _get(pool, username, response):
    from moto.core.responses import ActionResult

    device = _device(pool, username, response._get_param("DeviceKey"))
    return ActionResult({"Device": device.to_json()})


def _forget(pool, username, response):
    from moto.core.responses import EmptyResult

    device = _device(pool, username, response._get_param("DeviceKey"), confirmed=False)
    store = _store(pool)
    del store["devices"][device.key]
    for token, key in list(store["tokens"].items()):
        if key == device.key and token in pool.refresh_tokens:
            pool.refresh_tokens[token] = None
    return EmptyResult()


def install():
    from moto.cognitoidp import responses

    signin.AFTER_TOKENS.append(after_tokens)
    signin.FLOWS["USER_PASSWORD_AUTH"] = initiate_user_password_auth
    signin.CHALLENGES["DEVICE_SRP_AUTH"] = respond_device_srp_auth
    signin.CHALLENGES["DEVICE_PASSWORD_VERIFIER"] = respond_device_password_verifier

    def as_user(operation):
        return lambda self: operation(*_signed_in(self), self)

    def as_admin(operation):
        return lambda self: operation(*_admin(self), self)

    cls = responses.CognitoIdpResponse
    cls.confirm_device = confirm_device
    cls.update_device_status = as_user(_update_status)
    cls.list_devices = as_user(_list)
    cls.get_device = as_user(_get)
    cls.forget_device = as_user(_forget)
    cls.admin_update_device_status = as_admin(_update_status)
    cls.admin_list_devices = as_admin(_list)
    cls.admin_get_device = as_admin(_get)
    cls.admin_forget_device = as_admin(_forget)
