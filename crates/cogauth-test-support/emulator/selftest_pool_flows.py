"""Self-test of the emulator's user-pool sign-in extensions, against a running launcher.

Usage: selftest_pool_flows.py URL        (e.g. http://127.0.0.1:40019; exits non-zero on failure)

Drives every flow through boto3, the way a client would, with an SRP client that is not the
server's: pycognito's AWSSRP (pinned in requirements.txt). Before any flow, pycognito and the
server's primitives are checked against the known-answer vectors of amazon-cognito-identity-js in
crates/cogauth-core/tests/data/srp/. Covered, with every negative case:
- USER_SRP_AUTH verified (wrong password, replayed SECRET_BLOCK, zero-padded or malformed
  TIMESTAMP, app client with a secret);
- refresh-token rotation (grace 0 with 50 parallel GetTokensFromRefreshToken, a grace period,
  REFRESH_TOKEN_AUTH refused, no rotation, client secret, another client's token);
- devices (NewDeviceMetadata, ConfirmDevice, device SRP with and without Session, a wrong device
  password, MFA skipped only for a remembered device on a pool that allows it, refresh with the
  device key, ForgetDevice);
- USER_AUTH (SELECT_CHALLENGE, EMAIL_OTP / SMS_OTP codes read from /cogauth-test/codes, wrong
  codes, PASSWORD, PASSWORD_SRP, WEB_AUTHN refused, ExplicitAuthFlows, the Lite tier);
- CUSTOM_AUTH and CUSTOM_WITH_SRP with Define/Create/Verify served by a loopback trigger server
  here, behind real Lambda Invoke forwarding (right and wrong answers, sessions, trigger errors).
"""

import base64
import datetime
import glob
import hashlib
import hmac
import http.server
import json
import os
import secrets
import struct
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
from botocore.exceptions import ClientError
from pycognito import aws_srp

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "cogauth-core", "tests", "data", "srp")
REGION = "us-east-1"
PASSWORD = "Passw0rd!Good"

sys.path.insert(0, HERE)
from cogauth_emulator import srp_server  # noqa: E402  (only its primitives, for the vectors)


class FastSrp(aws_srp.AWSSRP):
    """pycognito's client with a 256-bit secret `a` instead of 1024 bits: the same math, four
    times faster in Python (the known-answer vectors run pycognito unchanged)."""

    def generate_random_small_a(self):
        return secrets.randbits(256) | 1


FAILURES = []
CURRENT = threading.local()


def check(condition, what):
    if not condition:
        FAILURES.append((getattr(CURRENT, "flow", "?"), what))
        print(f"FAIL [{getattr(CURRENT, 'flow', '?')}] {what}", flush=True)
    return condition


def expect_error(code, call, what):
    try:
        call()
    except ClientError as e:
        got = e.response["Error"]["Code"]
        check(
            got == code,
            f"{what}: expected {code}, got {got} ({e.response['Error'].get('Message')})",
        )
        return e.response["Error"].get("Message", "")
    check(False, f"{what}: expected {code}, the call succeeded")
    return ""


class World:
    def __init__(self, url):
        self.url = url.rstrip("/")
        cfg = botocore.config.Config(retries={"max_attempts": 1}, max_pool_connections=64)
        kw = dict(
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=cfg,
        )
        self.idp = boto3.client("cognito-idp", **kw)
        self.iam = boto3.client("iam", **kw)
        self.awslambda = boto3.client("lambda", **kw)
        post(f"{self.url}/moto-api/config", {"lambda": {"use_docker": False}})

    def pool(self, **extra):
        name = f"selftest-{uuid.uuid4().hex[:8]}"
        return self.idp.create_user_pool(PoolName=name, **extra)["UserPool"]["Id"]

    def client(self, pool_id, flows, **extra):
        answer = self.idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="selftest", ExplicitAuthFlows=flows, **extra
        )
        return answer["UserPoolClient"]

    def user(self, pool_id, username, attributes=()):
        self.idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=list(attributes),
        )
        self.idp.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )

    def srp(self, pool_id, client, username, password=PASSWORD, **device):
        return FastSrp(
            username,
            password,
            pool_id,
            client["ClientId"],
            client=self.idp,
            client_secret=client.get("ClientSecret"),
            **device,
        )

    def codes(self, pool_id, username):
        with urllib.request.urlopen(
            f"{self.url}/cogauth-test/codes?user_pool_id={pool_id}&username={username}"
        ) as r:
            return json.load(r)["codes"]


def post(url, body):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request) as r:
        return r.read()


def totp_code(at):
    """RFC 6238 (SHA-1, 6 digits, 30 s) with moto's fixed secret."""
    key = base64.b32decode("ASDFASDFASDF" + "====", casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def current_totp():
    while time.time() % 30 > 26:  # moto has no tolerance window: stay clear of a step's end
        time.sleep(0.25)
    return totp_code(time.time())


def secret_hash(client, username):
    if not client.get("ClientSecret"):
        return {}
    return {
        "SECRET_HASH": aws_srp.AWSSRP.get_secret_hash(
            username, client["ClientId"], client["ClientSecret"]
        )
    }


def tokens(answer, what):
    result = answer.get("AuthenticationResult")
    check(
        result is not None and result.get("AccessToken"),
        f"{what}: tokens ({answer.get('ChallengeName')})",
    )
    return result or {}


# --- Known-answer vectors --------------------------------------------------------------------


def vector_files():
    """The repository's vector files, plus any named in COGAUTH_SRP_EXTRA_VECTORS (colon-separated),
    as the Rust vector test reads them."""
    files = sorted(glob.glob(os.path.join(VECTORS, "*.json")))
    extra = [f for f in os.environ.get("COGAUTH_SRP_EXTRA_VECTORS", "").split(":") if f]
    return files + [f for f in extra if os.path.abspath(f) not in map(os.path.abspath, files)]


def check_server_side(v, prefix, identity, what):
    """A vector that records the server's b and v: srp_server must reproduce B and the key, and
    accept the client's signature."""
    if "server_small_b_hex" not in v:
        return
    verifier = int(v["server_verifier_hex"], 16)
    server = srp_server.ServerSrp(verifier, small_b=int(v["server_small_b_hex"], 16))
    check(server.B == int(v["srp_b_hex"], 16), f"{what}: srp_server's SRP_B")
    check(
        server.key(v["expected_srp_a_hex"]).hex() == v["expected_key_hex"].lower(),
        f"{what}: srp_server's key",
    )
    check(
        server.verify(
            v["expected_srp_a_hex"],
            prefix,
            identity,
            v["secret_block_b64"],
            v["timestamp"],
            v["expected_password_claim_signature"],
        ),
        f"{what}: srp_server accepts the client's signature",
    )
    check(
        not server.verify(
            v["expected_srp_a_hex"],
            prefix,
            identity,
            v["secret_block_b64"],
            v["timestamp"],
            "AAAA" + v["expected_password_claim_signature"][4:],
        ),
        f"{what}: srp_server refuses another signature",
    )


def test_vectors():
    """pycognito (the self-test's client) and srp_server against the vectors of
    amazon-cognito-identity-js: the client side of every PASSWORD_VERIFIER and
    DEVICE_PASSWORD_VERIFIER vector, the server side where a vector records b and v, and the
    ConfirmDevice verifiers."""
    files = vector_files()
    check(files, f"known-answer vectors in {VECTORS}")
    counts = {"srp": 0, "srp with server": 0, "device verifiers": 0, "device auth": 0}
    for path in files:
        with open(path) as f:
            data = json.load(f)
        for v in data.get("srp", []):
            what = f"{os.path.basename(path)} {v['name']}"
            counts["srp"] += 1
            client = aws_srp.AWSSRP(
                v["user_id_for_srp"], v["password"], v["pool_id"], "c", client=object()
            )
            client.small_a_value = int(v["small_a_hex"], 16)
            client.large_a_value = client.calculate_a()
            check(
                client.large_a_value == int(v["expected_srp_a_hex"], 16),
                f"{what}: pycognito's SRP_A",
            )
            key = client.get_password_authentication_key(
                v["user_id_for_srp"], v["password"], int(v["srp_b_hex"], 16), v["salt_hex"]
            )
            prefix = v["pool_id"].split("_", 1)[1]
            signature = srp_server.claim_signature(
                key, prefix, v["user_id_for_srp"], v["secret_block_b64"], v["timestamp"]
            )
            check(
                signature == v["expected_password_claim_signature"],
                f"{what}: pycognito's signature",
            )
            if "server_verifier_hex" in v:
                counts["srp with server"] += 1
                salt = int(v["salt_hex"], 16)
                v_mine = srp_server.verifier(salt, prefix, v["user_id_for_srp"], v["password"])
                check(v_mine == int(v["server_verifier_hex"], 16), f"{what}: srp_server's verifier")
            check_server_side(v, prefix, v["user_id_for_srp"], what)
        for v in data.get("device_verifiers", []):
            what = f"{os.path.basename(path)} {v['name']}"
            counts["device verifiers"] += 1
            password = base64.b64encode(bytes.fromhex(v["random_password_bytes_hex"])).decode()
            check(password == v["expected_device_password"], f"{what}: device password")
            salt = int(v["random_salt_bytes_hex"], 16)
            check(srp_server.pad(salt).hex() == v["expected_salt_hex"].lower(), f"{what}: salt")
            verifier = srp_server.verifier(salt, v["device_group_key"], v["device_key"], password)
            check(
                base64.b64encode(srp_server.pad(verifier)).decode()
                == v["expected_password_verifier_b64"],
                f"{what}: PasswordVerifier",
            )
            # What ConfirmDevice stores from the request is the same number.
            stored = int.from_bytes(base64.b64decode(v["expected_password_verifier_b64"]), "big")
            check(stored == verifier, f"{what}: the verifier ConfirmDevice stores")
        for v in data.get("device_auth", []):
            what = f"{os.path.basename(path)} {v['name']}"
            counts["device auth"] += 1
            client = aws_srp.AWSSRP(
                "user",
                "unused",
                "us-east-1_x",
                "c",
                client=object(),
                device_key=v["device_key"],
                device_group_key=v["device_group_key"],
                device_password=v["device_password"],
            )
            client.small_a_value = int(v["small_a_hex"], 16)
            client.large_a_value = client.calculate_a()
            check(
                client.large_a_value == int(v["expected_srp_a_hex"], 16),
                f"{what}: pycognito's SRP_A",
            )
            key = client.get_device_authentication_key(
                v["device_group_key"],
                v["device_key"],
                v["device_password"],
                int(v["srp_b_hex"], 16),
                v["salt_hex"],
            )
            signature = srp_server.claim_signature(
                key, v["device_group_key"], v["device_key"], v["secret_block_b64"], v["timestamp"]
            )
            check(
                signature == v["expected_password_claim_signature"],
                f"{what}: pycognito's device signature",
            )
            check_server_side(v, v["device_group_key"], v["device_key"], what)
        for t in data.get("timestamps", []):
            moment = datetime.datetime.fromtimestamp(t["unix_seconds"], datetime.timezone.utc)
            check(
                srp_server.format_timestamp(moment) == t["expected"], f"timestamp {t['expected']}"
            )
            check(
                srp_server.canonical_timestamp(t["expected"], now=moment) == t["expected"],
                f"canonical {t['expected']}",
            )
    check(counts["srp"] > 0, "at least one SRP vector")
    print("vectors checked: " + ", ".join(f"{n} {k}" for k, n in counts.items()), flush=True)


# --- USER_SRP_AUTH ---------------------------------------------------------------------------


def test_srp(w):
    pool_id = w.pool()
    client = w.client(
        pool_id, ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    secret_client = w.client(
        pool_id, ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], GenerateSecret=True
    )
    w.user(pool_id, "alice")
    tokens(w.srp(pool_id, client, "alice").authenticate_user(), "SRP with the right password")
    tokens(
        w.srp(pool_id, secret_client, "alice").authenticate_user(), "SRP on a client with a secret"
    )
    expect_error(
        "NotAuthorizedException",
        w.srp(pool_id, client, "alice", "Wrong0!pass").authenticate_user,
        "SRP with a wrong password",
    )

    srp = w.srp(pool_id, client, "alice")
    params = srp.get_auth_params()
    first = w.idp.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    cp = first["ChallengeParameters"]
    check(
        cp["USER_ID_FOR_SRP"] == "alice" and cp["USERNAME"] == "alice",
        "USER_ID_FOR_SRP is the user name",
    )
    check(len(base64.b64decode(cp["SECRET_BLOCK"])) >= 32, "SECRET_BLOCK is random base64")
    answer = srp.process_challenge(cp, params)

    def respond(responses):
        return w.idp.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=responses,
        )

    padded = dict(
        answer, TIMESTAMP=answer["TIMESTAMP"].replace(" 1 ", " 01 ").replace(" 2 ", " 02 ")
    )
    if padded["TIMESTAMP"] == answer["TIMESTAMP"]:
        # Days 10-31: a padded day is not possible, sign a day-of-week mismatch instead.
        padded["TIMESTAMP"] = "Xyz" + answer["TIMESTAMP"][3:]
        expect_error("InvalidParameterException", lambda: respond(padded), "malformed TIMESTAMP")
    else:
        expect_error("NotAuthorizedException", lambda: respond(padded), "zero-padded TIMESTAMP day")
    # The SECRET_BLOCK was used by the failed answer: a second answer is refused.
    message = expect_error(
        "NotAuthorizedException", lambda: respond(answer), "replayed SECRET_BLOCK"
    )
    check("session" in message.lower(), f"replayed SECRET_BLOCK says session: {message}")

    srp = w.srp(pool_id, client, "alice")
    params = srp.get_auth_params()
    cp = w.idp.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )["ChallengeParameters"]
    answer = srp.process_challenge(cp, params)
    expect_error(
        "InvalidParameterException",
        lambda: respond(dict(answer, TIMESTAMP="yesterday")),
        "unparseable TIMESTAMP",
    )
    srp = w.srp(pool_id, client, "alice")
    params = srp.get_auth_params()
    cp = w.idp.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )["ChallengeParameters"]
    answer = srp.process_challenge(cp, params)
    old = srp_server.format_timestamp(
        datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
    )
    expect_error(
        "NotAuthorizedException",
        lambda: respond(dict(answer, TIMESTAMP=old)),
        "TIMESTAMP two hours old",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: w.idp.initiate_auth(
            ClientId=secret_client["ClientId"],
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "alice", "SRP_A": "ab", "SECRET_HASH": "bad"},
        ),
        "SRP with a wrong SECRET_HASH",
    )


# --- Rotation --------------------------------------------------------------------------------


def password_login(w, client, username, extra=None):
    params = {
        "USERNAME": username,
        "PASSWORD": PASSWORD,
        **secret_hash(client, username),
        **(extra or {}),
    }
    return w.idp.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )


def calls(w):
    with urllib.request.urlopen(f"{w.url}/cogauth-test/calls") as r:
        return json.load(r)


def test_rotation(w):
    pool_id = w.pool()
    flows = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    expect_error(
        "InvalidParameterException",
        lambda: w.client(
            pool_id,
            flows + ["ALLOW_REFRESH_TOKEN_AUTH"],
            RefreshTokenRotation={"Feature": "ENABLED"},
        ),
        "rotation with ALLOW_REFRESH_TOKEN_AUTH",
    )
    expect_error(
        "InvalidParameterException",
        lambda: w.client(
            pool_id,
            flows,
            RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 61},
        ),
        "a grace period over 60",
    )
    rotating = w.client(
        pool_id, flows, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    )
    described = w.idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=rotating["ClientId"])[
        "UserPoolClient"
    ]
    check(
        described.get("RefreshTokenRotation")
        == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        f"DescribeUserPoolClient: {described.get('RefreshTokenRotation')}",
    )
    # An update that leaves RefreshTokenRotation out sets it to its default, off, as on AWS.
    forgetful = w.client(
        pool_id, flows, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 5}
    )
    w.idp.update_user_pool_client(
        UserPoolId=pool_id, ClientId=forgetful["ClientId"], ExplicitAuthFlows=flows
    )
    reset = w.idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=forgetful["ClientId"])[
        "UserPoolClient"
    ].get("RefreshTokenRotation")
    check(
        (reset or {}).get("Feature", "DISABLED") == "DISABLED",
        f"an update without RefreshTokenRotation turns rotation off: {reset}",
    )
    graceful = w.client(
        pool_id, flows, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 1}
    )
    plain = w.client(pool_id, flows + ["ALLOW_REFRESH_TOKEN_AUTH"])
    secret = w.client(
        pool_id, flows, GenerateSecret=True, RefreshTokenRotation={"Feature": "ENABLED"}
    )
    w.user(pool_id, "rot")

    r0 = tokens(password_login(w, rotating, "rot"), "login on a rotating client")["RefreshToken"]
    message = expect_error(
        "InvalidParameterException",
        lambda: w.idp.initiate_auth(
            ClientId=rotating["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": r0},
        ),
        "REFRESH_TOKEN_AUTH on a rotating client",
    )
    check("not enabled" in message, f"REFRESH_TOKEN_AUTH refusal says not enabled: {message}")

    def refresh(client, token, **extra):
        return w.idp.get_tokens_from_refresh_token(
            ClientId=client["ClientId"], RefreshToken=token, **extra
        )

    def attempt(_):
        try:
            return refresh(rotating, r0)["AuthenticationResult"]
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    wins = [o for o in outcomes if isinstance(o, dict)]
    losses = [o for o in outcomes if not isinstance(o, dict)]
    check(
        len(wins) == 1, f"50 parallel refreshes with grace 0: exactly one success, got {len(wins)}"
    )
    check(
        set(losses) == {"RefreshTokenReuseException"},
        f"the others are RefreshTokenReuseException: {set(losses)}",
    )
    count = sum(
        c["count"]
        for c in calls(w)["GetTokensFromRefreshToken"]
        if c["client_id"] == rotating["ClientId"]
    )
    check(count == 50, f"/cogauth-test/calls counts 50 GetTokensFromRefreshToken, got {count}")
    if wins:
        r1 = wins[0].get("RefreshToken")
        check(
            r1 and r1 != r0 and wins[0].get("IdToken"),
            "rotation returns a new refresh token and an ID token",
        )
        r2 = refresh(rotating, r1)["AuthenticationResult"].get("RefreshToken")
        check(r2 and r2 != r1, "the new refresh token rotates again")
        expect_error(
            "RefreshTokenReuseException",
            lambda: refresh(rotating, r1),
            "a rotated-out token, grace 0",
        )
    expect_error(
        "RefreshTokenReuseException", lambda: refresh(rotating, r0), "the first token, later"
    )

    g0 = tokens(password_login(w, graceful, "rot"), "login, grace 1 s")["RefreshToken"]
    g1 = refresh(graceful, g0)["AuthenticationResult"]["RefreshToken"]
    g2 = refresh(graceful, g0)["AuthenticationResult"]["RefreshToken"]
    check(g1 != g2, "within the grace period the old token still works (and rotates)")
    time.sleep(1.3)
    expect_error(
        "RefreshTokenReuseException", lambda: refresh(graceful, g0), "after the grace period"
    )
    check(
        refresh(graceful, g2)["AuthenticationResult"].get("AccessToken"),
        "the newest token still works",
    )

    p0 = tokens(password_login(w, plain, "rot"), "login without rotation")["RefreshToken"]
    for i in range(2):
        answer = refresh(plain, p0)["AuthenticationResult"]
        check(
            answer.get("AccessToken") and "RefreshToken" not in answer,
            f"no rotation: tokens, no refresh token ({i})",
        )
    check(
        w.idp.initiate_auth(
            ClientId=plain["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": p0},
        )["AuthenticationResult"].get("AccessToken"),
        "REFRESH_TOKEN_AUTH without rotation",
    )
    expect_error(
        "NotAuthorizedException", lambda: refresh(rotating, p0), "another client's refresh token"
    )
    expect_error(
        "NotAuthorizedException", lambda: refresh(plain, "not-a-token"), "an unknown refresh token"
    )

    s0 = tokens(password_login(w, secret, "rot"), "login on a client with a secret")["RefreshToken"]
    expect_error("NotAuthorizedException", lambda: refresh(secret, s0), "no ClientSecret")
    expect_error(
        "NotAuthorizedException",
        lambda: refresh(secret, s0, ClientSecret="wrong-secret-of-the-right-length"),
        "a wrong ClientSecret",
    )
    check(
        refresh(secret, s0, ClientSecret=secret["ClientSecret"])["AuthenticationResult"].get(
            "RefreshToken"
        ),
        "the right ClientSecret",
    )


# --- Devices ---------------------------------------------------------------------------------


def mfa_pool(w, challenge_required, prompt):
    pool_id = w.pool(
        MfaConfiguration="OFF",
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": challenge_required,
            "DeviceOnlyRememberedOnUserPrompt": prompt,
        },
    )
    client = w.client(
        pool_id, ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    w.user(pool_id, "dev")
    access = tokens(password_login(w, client, "dev"), "login to enrol TOTP")["AccessToken"]
    w.idp.associate_software_token(AccessToken=access)
    w.idp.verify_software_token(AccessToken=access, UserCode=current_totp())
    w.idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="dev",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    w.idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True}
    )
    return pool_id, client


def srp_sign_in(
    w,
    pool_id,
    client,
    username,
    device=None,
    password=PASSWORD,
    pass_session=True,
    device_password=None,
):
    """USER_SRP_AUTH through every challenge, with pycognito's math; returns (answer, challenges)."""
    dev = {}
    if device:
        dev = dict(
            device_key=device["key"],
            device_group_key=device["group"],
            device_password=device_password or device["password"],
        )
    srp = w.srp(pool_id, client, username, password, **dev)
    params = srp.get_auth_params()
    answer = w.idp.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    seen = []
    while answer.get("ChallengeName"):
        name = answer["ChallengeName"]
        seen.append(name)
        cp = answer["ChallengeParameters"]
        session = {"Session": answer["Session"]} if pass_session and answer.get("Session") else {}
        if name == "PASSWORD_VERIFIER":
            responses = srp.process_challenge(cp, params)
        elif name == "DEVICE_SRP_AUTH":
            responses = {
                "USERNAME": cp.get("USERNAME", username),
                "DEVICE_KEY": device["key"],
                "SRP_A": f"{srp.large_a_value:x}",
                **secret_hash(client, cp.get("USERNAME", username)),
            }
        elif name == "DEVICE_PASSWORD_VERIFIER":
            responses = srp.process_device_challenge(cp)
        elif name == "SOFTWARE_TOKEN_MFA":
            responses = {
                "USERNAME": username,
                "SOFTWARE_TOKEN_MFA_CODE": current_totp(),
                **secret_hash(client, username),
            }
        else:
            raise AssertionError(f"unexpected challenge {name}")
        answer = w.idp.respond_to_auth_challenge(
            ClientId=client["ClientId"], ChallengeName=name, ChallengeResponses=responses, **session
        )
    return answer, seen


def confirm(w, result, name="selftest-device"):
    meta = result["NewDeviceMetadata"]
    password, config = aws_srp.generate_hash_device(meta["DeviceGroupKey"], meta["DeviceKey"])
    answer = w.idp.confirm_device(
        AccessToken=result["AccessToken"],
        DeviceKey=meta["DeviceKey"],
        DeviceSecretVerifierConfig=config,
        DeviceName=name,
    )
    device = {"key": meta["DeviceKey"], "group": meta["DeviceGroupKey"], "password": password}
    return device, answer["UserConfirmationNecessary"]


def status_of(device_json):
    return {a["Name"]: a["Value"] for a in device_json["DeviceAttributes"]}.get(
        "dev:device_remembered_status"
    )


def test_devices(w):
    pool_id, client = mfa_pool(w, challenge_required=True, prompt=False)
    answer, seen = srp_sign_in(w, pool_id, client, "dev")
    first = tokens(answer, "first login on a new device")
    check(seen == ["PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA"], f"a new device answers MFA: {seen}")
    meta = first.get("NewDeviceMetadata") or {}
    check(
        meta.get("DeviceKey", "").startswith(f"{REGION}_") and meta.get("DeviceGroupKey"),
        f"NewDeviceMetadata: {meta}",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: w.idp.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": first["RefreshToken"],
                "DEVICE_KEY": meta["DeviceKey"],
            },
        ),
        "refresh with an unconfirmed device",
    )
    device, necessary = confirm(w, first)
    check(
        necessary is False, "UserConfirmationNecessary is false when devices are always remembered"
    )
    expect_error("DeviceKeyExistsException", lambda: confirm(w, first), "confirming a device twice")
    listed = w.idp.list_devices(AccessToken=first["AccessToken"])["Devices"]
    check(
        [d["DeviceKey"] for d in listed] == [device["key"]]
        and status_of(listed[0]) == "remembered",
        f"ListDevices: {listed}",
    )
    got = w.idp.get_device(AccessToken=first["AccessToken"], DeviceKey=device["key"])["Device"]
    check(
        {"Name": "device_name", "Value": "selftest-device"} in got["DeviceAttributes"],
        "GetDevice names the device",
    )

    answer, seen = srp_sign_in(w, pool_id, client, "dev", device=device)
    second = tokens(answer, "login with the remembered device")
    check(
        seen == ["PASSWORD_VERIFIER", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"],
        f"a remembered device skips MFA: {seen}",
    )
    check("NewDeviceMetadata" not in second, "no NewDeviceMetadata for a known device")
    # pycognito's own loop, which answers the device challenges without a Session.
    srp = w.srp(
        pool_id,
        client,
        "dev",
        device_key=device["key"],
        device_group_key=device["group"],
        device_password=device["password"],
    )
    tokens(srp.authenticate_user(), "pycognito's device flow (no Session)")
    answer, _ = srp_sign_in(w, pool_id, client, "dev", device=device, pass_session=False)
    tokens(answer, "device flow without Session")
    expect_error(
        "NotAuthorizedException",
        lambda: srp_sign_in(
            w, pool_id, client, "dev", device=device, device_password="wrong-device-password"
        ),
        "a wrong device password",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: srp_sign_in(w, pool_id, client, "dev", device=device, password="Wrong0!pass"),
        "a wrong password with a device",
    )

    refresh = second["RefreshToken"]
    expect_error(
        "NotAuthorizedException",
        lambda: w.idp.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        ),
        "refresh without DEVICE_KEY",
    )
    check(
        w.idp.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh, "DEVICE_KEY": device["key"]},
        )["AuthenticationResult"].get("AccessToken"),
        "REFRESH_TOKEN_AUTH with DEVICE_KEY",
    )
    check(
        w.idp.get_tokens_from_refresh_token(
            ClientId=client["ClientId"], RefreshToken=refresh, DeviceKey=device["key"]
        )["AuthenticationResult"].get("AccessToken"),
        "GetTokensFromRefreshToken with DeviceKey",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: w.idp.get_tokens_from_refresh_token(
            ClientId=client["ClientId"], RefreshToken=refresh
        ),
        "GetTokensFromRefreshToken without DeviceKey",
    )

    # USER_PASSWORD_AUTH with the device goes through device SRP too.
    answer = password_login(w, client, "dev", {"DEVICE_KEY": device["key"]})
    check(
        answer.get("ChallengeName") == "DEVICE_SRP_AUTH",
        f"USER_PASSWORD_AUTH with a device: {answer.get('ChallengeName')}",
    )

    # Not remembered: the device still authenticates, and MFA is back.
    w.idp.update_device_status(
        AccessToken=second["AccessToken"],
        DeviceKey=device["key"],
        DeviceRememberedStatus="not_remembered",
    )
    answer, seen = srp_sign_in(w, pool_id, client, "dev", device=device)
    tokens(answer, "login with a not-remembered device")
    check(
        seen
        == [
            "PASSWORD_VERIFIER",
            "DEVICE_SRP_AUTH",
            "DEVICE_PASSWORD_VERIFIER",
            "SOFTWARE_TOKEN_MFA",
        ],
        f"a not-remembered device answers MFA: {seen}",
    )
    w.idp.admin_update_device_status(
        UserPoolId=pool_id,
        Username="dev",
        DeviceKey=device["key"],
        DeviceRememberedStatus="remembered",
    )
    check(
        status_of(
            w.idp.admin_get_device(UserPoolId=pool_id, Username="dev", DeviceKey=device["key"])[
                "Device"
            ]
        )
        == "remembered",
        "AdminUpdateDeviceStatus",
    )

    w.idp.forget_device(AccessToken=second["AccessToken"], DeviceKey=device["key"])
    check(
        w.idp.admin_list_devices(UserPoolId=pool_id, Username="dev")["Devices"] == [],
        "ForgetDevice removes the device",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: w.idp.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh, "DEVICE_KEY": device["key"]},
        ),
        "refresh after ForgetDevice",
    )
    answer, seen = srp_sign_in(w, pool_id, client, "dev", device=device)
    check(
        seen == ["PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA"]
        and "NewDeviceMetadata" in tokens(answer, "login with a forgotten device"),
        f"a forgotten device is a new device: {seen}",
    )

    # A pool that remembers only on the user's say-so, and never lets a device skip MFA.
    pool_id, client = mfa_pool(w, challenge_required=False, prompt=True)
    answer, _ = srp_sign_in(w, pool_id, client, "dev")
    first = tokens(answer, "first login, opt-in pool")
    device, necessary = confirm(w, first)
    check(necessary is True, "UserConfirmationNecessary is true on an opt-in pool")
    check(
        status_of(
            w.idp.get_device(AccessToken=first["AccessToken"], DeviceKey=device["key"])["Device"]
        )
        == "not_remembered",
        "opt-in devices start not remembered",
    )
    w.idp.update_device_status(
        AccessToken=first["AccessToken"],
        DeviceKey=device["key"],
        DeviceRememberedStatus="remembered",
    )
    answer, seen = srp_sign_in(w, pool_id, client, "dev", device=device)
    tokens(answer, "login, pool without MFA skipping")
    check(
        seen[-1] == "SOFTWARE_TOKEN_MFA" and "DEVICE_PASSWORD_VERIFIER" in seen,
        f"ChallengeRequiredOnNewDevice false keeps MFA: {seen}",
    )

    # A pool without device tracking: no NewDeviceMetadata, ConfirmDevice is refused.
    plain = w.pool()
    plain_client = w.client(plain, ["ALLOW_USER_PASSWORD_AUTH"])
    w.user(plain, "nodev")
    result = tokens(password_login(w, plain_client, "nodev"), "login without device tracking")
    check("NewDeviceMetadata" not in result, "no NewDeviceMetadata without DeviceConfiguration")


# --- USER_AUTH -------------------------------------------------------------------------------


def test_user_auth(w):
    pool_id = w.pool(
        Policies={
            "SignInPolicy": {
                "AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
            }
        }
    )
    client = w.client(pool_id, ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    legacy = w.client(pool_id, ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    w.user(
        pool_id,
        "carol",
        [
            {"Name": "email", "Value": "carol@example.com"},
            {"Name": "phone_number", "Value": "+15555550100"},
        ],
    )

    def initiate(c, **params):
        return w.idp.initiate_auth(
            ClientId=c["ClientId"],
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": "carol", **params},
        )

    def respond(name, session, **responses):
        return w.idp.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName=name,
            Session=session,
            ChallengeResponses={"USERNAME": "carol", **responses},
        )

    message = expect_error(
        "InvalidParameterException", lambda: initiate(legacy), "USER_AUTH without ALLOW_USER_AUTH"
    )
    check("not enabled" in message, f"the refusal says not enabled: {message}")
    select = initiate(client)
    check(
        select["ChallengeName"] == "SELECT_CHALLENGE",
        f"SELECT_CHALLENGE: {select.get('ChallengeName')}",
    )
    check(
        select.get("AvailableChallenges") == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"],
        f"AvailableChallenges: {select.get('AvailableChallenges')}",
    )
    expect_error(
        "InvalidParameterException",
        lambda: respond("SELECT_CHALLENGE", select["Session"], ANSWER="WEB_AUTHN"),
        "an ANSWER that is not available",
    )

    otp = respond("SELECT_CHALLENGE", initiate(client)["Session"], ANSWER="EMAIL_OTP")
    check(otp["ChallengeName"] == "EMAIL_OTP", f"EMAIL_OTP challenge: {otp.get('ChallengeName')}")
    check(
        otp["ChallengeParameters"].get("CODE_DELIVERY_DESTINATION") == "c***@e***"
        and otp["ChallengeParameters"].get("CODE_DELIVERY_DELIVERY_MEDIUM") == "EMAIL",
        f"masked email: {otp['ChallengeParameters']}",
    )
    code = w.codes(pool_id, "carol")[-1]
    check(
        code["medium"] == "EMAIL"
        and code["destination"] == "carol@example.com"
        and len(code["code"]) == 8,
        f"the code is readable: {code}",
    )
    wrong = "00000000" if code["code"] != "00000000" else "11111111"
    expect_error(
        "CodeMismatchException",
        lambda: respond("EMAIL_OTP", otp["Session"], EMAIL_OTP_CODE=wrong),
        "a wrong email code",
    )
    tokens(
        respond("EMAIL_OTP", otp["Session"], EMAIL_OTP_CODE=code["code"]),
        "the right email code after a wrong one",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: respond("EMAIL_OTP", otp["Session"], EMAIL_OTP_CODE=code["code"]),
        "a used OTP session",
    )

    sms = initiate(client, PREFERRED_CHALLENGE="SMS_OTP")
    check(
        sms["ChallengeName"] == "SMS_OTP"
        and sms["ChallengeParameters"].get("CODE_DELIVERY_DESTINATION") == "+*******0100",
        f"SMS_OTP by preference, masked: {sms.get('ChallengeParameters')}",
    )
    code = w.codes(pool_id, "carol")[-1]
    check(code["medium"] == "SMS" and code["destination"] == "+15555550100", f"SMS code: {code}")
    wrong = "00000000" if code["code"] != "00000000" else "11111111"
    for attempt in range(3):
        expect_error(
            "CodeMismatchException",
            lambda: respond("SMS_OTP", sms["Session"], SMS_OTP_CODE=wrong),
            f"wrong SMS code {attempt + 1}",
        )
    expect_error(
        "NotAuthorizedException",
        lambda: respond("SMS_OTP", sms["Session"], SMS_OTP_CODE=code["code"]),
        "the right code after three wrong ones",
    )

    tokens(
        respond(
            "SELECT_CHALLENGE", initiate(client)["Session"], ANSWER="PASSWORD", PASSWORD=PASSWORD
        ),
        "ANSWER PASSWORD",
    )
    expect_error(
        "NotAuthorizedException",
        lambda: respond(
            "SELECT_CHALLENGE",
            initiate(client)["Session"],
            ANSWER="PASSWORD",
            PASSWORD="Wrong0!pass",
        ),
        "ANSWER PASSWORD, wrong password",
    )
    tokens(
        initiate(client, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD),
        "PREFERRED_CHALLENGE PASSWORD with PASSWORD",
    )
    challenge = initiate(client, PREFERRED_CHALLENGE="PASSWORD")
    check(
        challenge["ChallengeName"] == "PASSWORD",
        f"PREFERRED_CHALLENGE PASSWORD alone: {challenge.get('ChallengeName')}",
    )
    tokens(respond("PASSWORD", challenge["Session"], PASSWORD=PASSWORD), "the PASSWORD challenge")

    for password, ok in ((PASSWORD, True), ("Wrong0!pass", False)):
        srp = w.srp(pool_id, client, "carol", password)
        verifier = respond(
            "SELECT_CHALLENGE",
            initiate(client)["Session"],
            ANSWER="PASSWORD_SRP",
            SRP_A=f"{srp.large_a_value:x}",
        )
        check(
            verifier["ChallengeName"] == "PASSWORD_VERIFIER" and verifier.get("Session"),
            "ANSWER PASSWORD_SRP gives PASSWORD_VERIFIER",
        )
        answer = srp.process_challenge(verifier["ChallengeParameters"], {"USERNAME": "carol"})
        call = lambda: w.idp.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName="PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=answer,
        )  # noqa: E731
        if ok:
            tokens(call(), "ANSWER PASSWORD_SRP, verified")
        else:
            expect_error("NotAuthorizedException", call, "ANSWER PASSWORD_SRP, wrong password")

    post(f"{w.url}/cogauth-test/passkeys", {"user_pool_id": pool_id, "username": "carol"})
    select = initiate(client)
    check(
        "WEB_AUTHN" in select.get("AvailableChallenges", []),
        f"WEB_AUTHN offered with a passkey: {select.get('AvailableChallenges')}",
    )
    webauthn = respond("SELECT_CHALLENGE", select["Session"], ANSWER="WEB_AUTHN")
    check(
        webauthn["ChallengeName"] == "WEB_AUTHN"
        and "CREDENTIAL_REQUEST_OPTIONS" in webauthn["ChallengeParameters"],
        "the WEB_AUTHN challenge",
    )
    message = expect_error(
        "NotAuthorizedException",
        lambda: respond("WEB_AUTHN", webauthn["Session"], CREDENTIAL="{}"),
        "a WebAuthn credential",
    )
    check("WebAuthn" in message, f"the WebAuthn refusal says why: {message}")

    with_secret = w.client(pool_id, ["ALLOW_USER_AUTH"], GenerateSecret=True)
    expect_error(
        "NotAuthorizedException",
        lambda: initiate(with_secret, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD),
        "USER_AUTH without SECRET_HASH on a client with a secret",
    )
    tokens(
        initiate(
            with_secret,
            PREFERRED_CHALLENGE="PASSWORD",
            PASSWORD=PASSWORD,
            **secret_hash(with_secret, "carol"),
        ),
        "USER_AUTH with SECRET_HASH",
    )

    lite = w.pool(UserPoolTier="LITE")
    lite_client = w.client(lite, ["ALLOW_USER_AUTH"])
    w.user(lite, "carol")
    expect_error(
        "FeatureUnavailableInTierException",
        lambda: initiate(lite_client),
        "USER_AUTH on the Lite tier",
    )


# --- CUSTOM_AUTH -----------------------------------------------------------------------------


class Triggers(http.server.BaseHTTPRequestHandler):
    events = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Triggers.events.append(event)
        req, resp = event["request"], event["response"]
        source = event["triggerSource"]
        if event["userName"] == "broken" and source.startswith("Define"):
            reply = {"errorMessage": "boom", "errorType": "Error"}
        elif source == "DefineAuthChallenge_Authentication":
            session = req["session"]
            last = session[-1] if session else None
            failures = sum(
                1
                for s in session
                if s["challengeName"] == "CUSTOM_CHALLENGE" and not s["challengeResult"]
            )
            resp.update(issueTokens=False, failAuthentication=False)
            if failures >= 3:
                resp["failAuthentication"] = True
            elif last and last["challengeName"] == "SRP_A":
                resp["challengeName"] = "PASSWORD_VERIFIER"
            elif last and last["challengeName"] == "CUSTOM_CHALLENGE" and last["challengeResult"]:
                resp["issueTokens"] = True
            else:
                resp["challengeName"] = "CUSTOM_CHALLENGE"
            reply = event
        elif source == "CreateAuthChallenge_Authentication":
            resp.update(
                publicChallengeParameters={"question": "2+2?"},
                privateChallengeParameters={"answer": "4"},
                challengeMetadata="MATH",
            )
            reply = event
        else:
            resp["answerCorrect"] = (
                req["challengeAnswer"] == req["privateChallengeParameters"]["answer"]
            )
            reply = event
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def trigger_function(w, url, name):
    role = f"selftest-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = w.iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    empty_zip = b"PK\x05\x06" + b"\x00" * 18
    return w.awslambda.create_function(
        FunctionName=f"{name}-{uuid.uuid4().hex[:8]}",
        Runtime="provided.al2023",
        Handler="bootstrap",
        Role=arn,
        Code={"ZipFile": empty_zip},
        Environment={"Variables": {"COGAUTH_TEST_FORWARD_URL": url}},
    )["FunctionArn"]


def test_custom_auth(w):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Triggers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        lambdas = {
            t: trigger_function(w, url, t)
            for t in ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")
        }
        pool_id = w.pool(LambdaConfig=lambdas)
        client = w.client(pool_id, ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        secret = w.client(pool_id, ["ALLOW_CUSTOM_AUTH"], GenerateSecret=True)
        no_custom = w.client(pool_id, ["ALLOW_USER_SRP_AUTH"])
        w.user(pool_id, "dave")
        w.user(pool_id, "broken")

        def initiate(c, username="dave", **params):
            return w.idp.initiate_auth(
                ClientId=c["ClientId"],
                AuthFlow="CUSTOM_AUTH",
                AuthParameters={"USERNAME": username, **secret_hash(c, username), **params},
            )

        def answer(c, challenge, value):
            return w.idp.respond_to_auth_challenge(
                ClientId=c["ClientId"],
                ChallengeName="CUSTOM_CHALLENGE",
                Session=challenge["Session"],
                ChallengeResponses={"USERNAME": "dave", "ANSWER": value, **secret_hash(c, "dave")},
                ClientMetadata={"origin": "selftest"},
            )

        Triggers.events.clear()
        first = initiate(client)
        check(
            first["ChallengeName"] == "CUSTOM_CHALLENGE"
            and first["ChallengeParameters"] == {"question": "2+2?", "USERNAME": "dave"},
            f"the custom challenge: {first}",
        )
        define = Triggers.events[0]
        check(
            define["version"] == "1"
            and define["triggerSource"] == "DefineAuthChallenge_Authentication"
            and define["userPoolId"] == pool_id
            and define["userName"] == "dave"
            and define["callerContext"]["clientId"] == client["ClientId"]
            and define["request"]["session"] == []
            and define["request"]["userAttributes"].get("sub")
            and define["request"]["userNotFound"] is False,
            f"the Define event: {define}",
        )
        tokens(answer(client, first, "4"), "a custom challenge answered right")
        verify = [e for e in Triggers.events if e["triggerSource"].startswith("Verify")][-1]
        check(
            verify["request"]["challengeAnswer"] == "4"
            and verify["request"]["privateChallengeParameters"] == {"answer": "4"}
            and verify["request"]["clientMetadata"] == {"origin": "selftest"},
            f"the Verify event: {verify['request']}",
        )
        last_define = [e for e in Triggers.events if e["triggerSource"].startswith("Define")][-1]
        check(
            last_define["request"]["session"]
            == [
                {
                    "challengeName": "CUSTOM_CHALLENGE",
                    "challengeResult": True,
                    "challengeMetadata": "MATH",
                }
            ],
            f"the session list: {last_define['request']['session']}",
        )

        first = initiate(client)
        second = answer(client, first, "5")
        check(
            second.get("ChallengeName") == "CUSTOM_CHALLENGE"
            and second["Session"] != first["Session"],
            "a wrong answer gets a new challenge and session",
        )
        expect_error(
            "NotAuthorizedException",
            lambda: answer(client, first, "4"),
            "the old session after a wrong answer",
        )
        tokens(answer(client, second, "4"), "the right answer after a wrong one")

        challenge = initiate(client)
        for i in range(2):
            challenge = answer(client, challenge, "wrong")
        message = expect_error(
            "NotAuthorizedException",
            lambda: answer(client, challenge, "wrong"),
            "three wrong answers (failAuthentication)",
        )
        check("Incorrect username or password" in message, f"failAuthentication message: {message}")

        tokens(answer(secret, initiate(secret), "4"), "custom auth on a client with a secret")

        srp = w.srp(pool_id, client, "dave")
        Triggers.events.clear()
        verifier = initiate(client, CHALLENGE_NAME="SRP_A", SRP_A=f"{srp.large_a_value:x}")
        check(
            verifier["ChallengeName"] == "PASSWORD_VERIFIER",
            f"CUSTOM_WITH_SRP asks for the password: {verifier.get('ChallengeName')}",
        )
        check(
            Triggers.events[0]["request"]["session"]
            == [{"challengeName": "SRP_A", "challengeResult": True}],
            f"SRP_A in the session: {Triggers.events[0]['request']['session']}",
        )
        proof = srp.process_challenge(verifier["ChallengeParameters"], {"USERNAME": "dave"})
        custom = w.idp.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName="PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=proof,
        )
        check(
            custom.get("ChallengeName") == "CUSTOM_CHALLENGE",
            f"after the password, the custom challenge: {custom.get('ChallengeName')}",
        )
        tokens(answer(client, custom, "4"), "CUSTOM_WITH_SRP answered right")
        sessions = [
            e["request"]["session"]
            for e in Triggers.events
            if e["triggerSource"].startswith("Define")
        ]
        check(
            [s["challengeName"] for s in sessions[-1]]
            == ["SRP_A", "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE"],
            f"the CUSTOM_WITH_SRP session list: {sessions[-1]}",
        )

        wrong = w.srp(pool_id, client, "dave", "Wrong0!pass")
        verifier = initiate(client, CHALLENGE_NAME="SRP_A", SRP_A=f"{wrong.large_a_value:x}")
        proof = wrong.process_challenge(verifier["ChallengeParameters"], {"USERNAME": "dave"})
        expect_error(
            "NotAuthorizedException",
            lambda: w.idp.respond_to_auth_challenge(
                ClientId=client["ClientId"],
                ChallengeName="PASSWORD_VERIFIER",
                Session=verifier["Session"],
                ChallengeResponses=proof,
            ),
            "CUSTOM_WITH_SRP with a wrong password",
        )

        message = expect_error(
            "UserLambdaValidationException",
            lambda: initiate(client, "broken"),
            "a trigger that fails",
        )
        check(
            message == "DefineAuthChallenge failed with error boom.",
            f"the trigger failure message: {message}",
        )
        message = expect_error(
            "InvalidParameterException",
            lambda: initiate(no_custom),
            "CUSTOM_AUTH without ALLOW_CUSTOM_AUTH",
        )
        check("not enabled" in message, f"the refusal says not enabled: {message}")
        bare = w.pool()
        bare_client = w.client(bare, ["ALLOW_CUSTOM_AUTH"])
        w.user(bare, "dave")
        message = expect_error(
            "InvalidParameterException",
            lambda: initiate(bare_client),
            "CUSTOM_AUTH without triggers",
        )
        check("not configured" in message, f"no triggers: {message}")
    finally:
        server.shutdown()


def main():
    if len(sys.argv) != 2:
        print(
            "usage: selftest_pool_flows.py URL  (a running launcher, e.g. http://127.0.0.1:PORT)",
            file=sys.stderr,
        )
        return 2
    w = World(sys.argv[1])
    started = time.monotonic()
    tests = [
        ("vectors", lambda: test_vectors()),
        ("srp", lambda: test_srp(w)),
        ("rotation", lambda: test_rotation(w)),
        ("devices", lambda: test_devices(w)),
        ("user_auth", lambda: test_user_auth(w)),
        ("custom_auth", lambda: test_custom_auth(w)),
    ]

    def run(flow):
        name, test = flow
        CURRENT.flow = name
        t0 = time.monotonic()
        try:
            test()
        except Exception as e:  # noqa: BLE001 - report it and go on with the other flows
            check(False, f"{type(e).__name__}: {e}")
        return time.monotonic() - t0

    # The flows use pools of their own: run them side by side (the server is another process,
    # and the device flow spends seconds waiting for a fresh TOTP step).
    with ThreadPoolExecutor(max_workers=len(tests)) as pool:
        durations = list(pool.map(run, tests))
    passed = failed = 0
    for (name, _), seconds in zip(tests, durations):
        ok = not any(flow == name for flow, _ in FAILURES)
        passed, failed = passed + ok, failed + (not ok)
        print(f"{name}: {'ok' if ok else 'FAILED'} ({seconds:.1f} s)", flush=True)
    print(f"pool flows in {time.monotonic() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
