"""Self-test of the harness's group-role claims, role mapping, federation endpoint and tagging.

Usage: python selftest_misc.py [URL]   (URL defaults to $COGAUTH_EMULATOR_URL)

Runs against a launcher that is already serving (run it with the emulator venv's python: it
needs boto3, which moto brings). Every resource gets a unique name, so it can share a server
with other tests. Prints one line per check and exits non-zero if any check fails.
"""

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
PASSWORD = "Correct-Horse-9!"
FAILURES = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    if not condition:
        FAILURES.append(name)


def error_code(call):
    """The AWS error code `call()` fails with, or None when it succeeds."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def expect_error(name, call, code):
    got = error_code(call)
    check(name, got == code, f"got {got}")


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class World:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.tag = uuid.uuid4().hex[:8]
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        # No retries: an HTTP 500 must show up as a failure, not as a slow retry.
        self.config = Config(retries={"max_attempts": 1})
        self.clients = {}

    def client(self, service, **credentials):
        if credentials:
            return self.session.client(
                service, endpoint_url=self.url, config=self.config, **credentials
            )
        if service not in self.clients:  # building a client costs more than most calls
            self.clients[service] = self.session.client(
                service, endpoint_url=self.url, config=self.config
            )
        return self.clients[service]

    def name(self, prefix):
        return f"{prefix}-{self.tag}-{uuid.uuid4().hex[:6]}"

    def http(self, method, path, params=None, form=None):
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def trust_policy(identity_pool_id):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                        "ForAnyValue:StringLike": {
                            "cognito-identity.amazonaws.com:amr": "authenticated"
                        },
                    },
                }
            ],
        }
    )


def setup(w):
    """A user pool, a client, an identity pool, roles, groups and users."""
    idp, ident, iam = w.client("cognito-idp"), w.client("cognito-identity"), w.client("iam")
    pool = idp.create_user_pool(PoolName=w.name("pool"))["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=w.name("client"),
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        ],
    )["UserPoolClient"]
    other = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName=w.name("other"))
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    identity_pool = ident.create_identity_pool(
        IdentityPoolName=w.name("idpool").replace("-", "_"),
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client["ClientId"]}],
    )["IdentityPoolId"]
    roles = {}
    for role in ("auth", "admin", "dev", "ops", "untrusting"):
        policy = trust_policy(identity_pool if role != "untrusting" else "us-east-1:someone-else")
        arn = iam.create_role(RoleName=w.name(role), AssumeRolePolicyDocument=policy)["Role"]["Arn"]
        roles[role] = arn
    groups = [  # name, precedence, role
        ("admins", 0, roles["admin"]),
        ("devs", 5, roles["dev"]),
        ("nobody", None, None),
        ("readers", None, None),
        ("first", 1, None),
        ("tie-a", 3, roles["dev"]),
        ("tie-b", 3, roles["ops"]),
        ("same-a", 2, roles["ops"]),
        ("same-b", 2, roles["ops"]),
        ("untrusting", 7, roles["untrusting"]),
        ("lonely", None, roles["dev"]),
    ]
    for name, precedence, role in groups:
        args = {"UserPoolId": pool["Id"], "GroupName": name}
        if precedence is not None:
            args["Precedence"] = precedence
        if role:
            args["RoleArn"] = role
        idp.create_group(**args)
    users = {  # user -> groups
        "alice": ["devs", "admins", "readers"],  # preferred: admin (precedence 0)
        "tina": ["tie-a", "tie-b", "devs"],  # precedence 3 tie, different roles: none
        "sam": ["same-a", "same-b", "devs"],  # precedence 2 tie, same role: ops
        "lena": ["lonely", "readers"],  # one role, null precedence: dev
        "fred": ["first", "devs", "tie-b"],  # best group has no role: dev (5) vs ops (3) -> ops
        "nora": [],  # no groups: no claims
        "ursula": ["untrusting"],  # a role that does not trust the pool
    }
    for user, member_of in users.items():
        idp.admin_create_user(UserPoolId=pool["Id"], Username=user, MessageAction="SUPPRESS")
        idp.admin_set_user_password(
            UserPoolId=pool["Id"], Username=user, Password=PASSWORD, Permanent=True
        )
        for group in member_of:
            idp.admin_add_user_to_group(UserPoolId=pool["Id"], Username=user, GroupName=group)
    ident.set_identity_pool_roles(
        IdentityPoolId=identity_pool, Roles={"authenticated": roles["auth"]}
    )
    return {
        "pool": pool,
        "client": client["ClientId"],
        "other_client": other["UserPoolClient"]["ClientId"],
        "provider": provider,
        "identity_pool": identity_pool,
        "roles": roles,
    }


def login(w, env, user):
    answer = w.client("cognito-idp").initiate_auth(
        ClientId=env["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
    )
    return answer["AuthenticationResult"]


def test_claims(w, env):
    idp = w.client("cognito-idp")
    roles = env["roles"]
    tokens = login(w, env, "alice")
    id_claims, access_claims = claims(tokens["IdToken"]), claims(tokens["AccessToken"])
    check(
        "id token lists groups by precedence, null last",
        id_claims.get("cognito:groups") == ["admins", "devs", "readers"],
        id_claims.get("cognito:groups"),
    )
    check(
        "id token lists the groups' roles, groups without a role left out",
        id_claims.get("cognito:roles") == [roles["admin"], roles["dev"]],
        id_claims.get("cognito:roles"),
    )
    check(
        "preferred role is the lowest precedence's role",
        id_claims.get("cognito:preferred_role") == roles["admin"],
        id_claims.get("cognito:preferred_role"),
    )
    check(
        "access token carries cognito:groups only",
        access_claims.get("cognito:groups") == ["admins", "devs", "readers"]
        and "cognito:roles" not in access_claims
        and "cognito:preferred_role" not in access_claims,
        access_claims,
    )
    tie = claims(login(w, env, "tina")["IdToken"])
    check(
        "a precedence tie between different roles leaves preferred_role out",
        "cognito:preferred_role" not in tie
        and set(tie.get("cognito:roles", [])) == {roles["dev"], roles["ops"]},
        tie,
    )
    same = claims(login(w, env, "sam")["IdToken"])
    check(
        "a precedence tie on one role keeps that role preferred",
        same.get("cognito:preferred_role") == roles["ops"],
        same.get("cognito:preferred_role"),
    )
    lonely = claims(login(w, env, "lena")["IdToken"])
    check(
        "a single role is preferred even with null precedence",
        lonely.get("cognito:preferred_role") == roles["dev"]
        and lonely.get("cognito:roles") == [roles["dev"]],
        lonely,
    )
    fred = claims(login(w, env, "fred")["IdToken"])
    check(
        "groups without a role do not take part in the preference",
        fred.get("cognito:preferred_role") == roles["ops"],
        fred.get("cognito:preferred_role"),
    )
    nora = claims(login(w, env, "nora")["IdToken"])
    check(
        "a user in no group gets no group claims",
        not any(k.startswith("cognito:") and k != "cognito:username" for k in nora),
        nora,
    )
    refreshed = idp.initiate_auth(
        ClientId=env["client"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    check(
        "REFRESH_TOKEN_AUTH tokens carry the claims",
        claims(refreshed["AuthenticationResult"]["IdToken"]).get("cognito:preferred_role")
        == roles["admin"],
    )
    admin = idp.admin_initiate_auth(
        UserPoolId=env["pool"]["Id"],
        ClientId=env["client"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    check(
        "AdminInitiateAuth tokens carry the claims",
        claims(admin["AuthenticationResult"]["IdToken"]).get("cognito:roles")
        == [roles["admin"], roles["dev"]],
    )
    idp.admin_create_user(
        UserPoolId=env["pool"]["Id"],
        Username="newbie",
        TemporaryPassword="Temporary-Pass-1!",
        MessageAction="SUPPRESS",
    )
    idp.admin_add_user_to_group(UserPoolId=env["pool"]["Id"], Username="newbie", GroupName="devs")
    challenge = idp.initiate_auth(
        ClientId=env["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "newbie", "PASSWORD": "Temporary-Pass-1!"},
    )
    answered = idp.respond_to_auth_challenge(
        ClientId=env["client"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "newbie", "NEW_PASSWORD": PASSWORD},
    )
    check(
        "RespondToAuthChallenge tokens carry the claims",
        claims(answered["AuthenticationResult"]["IdToken"]).get("cognito:preferred_role")
        == roles["dev"],
    )
    idp.update_group(UserPoolId=env["pool"]["Id"], GroupName="devs", Precedence=0)
    idp.update_group(UserPoolId=env["pool"]["Id"], GroupName="admins", Precedence=9)
    changed = claims(login(w, env, "alice")["IdToken"])
    check(
        "the claims follow a change of precedence at the next token",
        changed.get("cognito:preferred_role") == roles["dev"]
        and changed.get("cognito:groups") == ["devs", "admins", "readers"],
        changed,
    )
    idp.update_group(UserPoolId=env["pool"]["Id"], GroupName="devs", Precedence=5)
    idp.update_group(UserPoolId=env["pool"]["Id"], GroupName="admins", Precedence=0)


def credentials_for(w, env, user, custom_role=None, id_token=None):
    ident = w.client("cognito-identity")
    logins = {env["provider"]: id_token or login(w, env, user)["IdToken"]}
    identity = ident.get_id(IdentityPoolId=env["identity_pool"], Logins=logins)["IdentityId"]
    args = {"IdentityId": identity, "Logins": logins}
    if custom_role:
        args["CustomRoleArn"] = custom_role
    return ident.get_credentials_for_identity(**args)["Credentials"]


def caller(w, credentials):
    sts = w.client(
        "sts",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return sts.get_caller_identity()["Arn"]


def assumed(role_arn):
    """What GetCallerIdentity answers for a Cognito identity session of this role."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_arn.rsplit('/', 1)[1]}/CognitoIdentityCredentials"


def test_role_mapping(w, env):
    ident = w.client("cognito-identity")
    roles = env["roles"]
    key = f"{env['provider']}:{env['client']}"
    plain = credentials_for(w, env, "alice", custom_role=roles["dev"])
    check(
        "without a role mapping moto's answer is kept (CustomRoleArn ignored)",
        plain["AccessKeyId"] == "TESTACCESSKEY12345",
        plain["AccessKeyId"],
    )
    left = plain["Expiration"].timestamp() - time.time()
    check("moto's answer still expires in 90 s", 60 < left <= 91, left)

    def map_token(ambiguous):
        ident.set_identity_pool_roles(
            IdentityPoolId=env["identity_pool"],
            Roles={"authenticated": roles["auth"]},
            RoleMappings={key: {"Type": "Token", "AmbiguousRoleResolution": ambiguous}},
        )

    map_token("Deny")
    stored = ident.get_identity_pool_roles(IdentityPoolId=env["identity_pool"])
    check(
        "the role mapping is stored",
        stored.get("RoleMappings", {}).get(key, {}).get("Type") == "Token",
        stored,
    )
    chosen = credentials_for(w, env, "alice", custom_role=roles["dev"])
    arn = caller(w, chosen)
    check(
        "CustomRoleArn in cognito:roles gives that role's session",
        arn == assumed(roles["dev"]),
        arn,
    )
    left = chosen["Expiration"].timestamp() - time.time()
    check("role-mapped credentials expire in 90 s", 60 < left <= 91, left)

    # The harness's tag for tests that must outlive several expiries.
    described = ident.describe_identity_pool(IdentityPoolId=env["identity_pool"])

    def tag_lifetime(seconds):
        ident.update_identity_pool(
            IdentityPoolId=env["identity_pool"],
            IdentityPoolName=described["IdentityPoolName"],
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=described["CognitoIdentityProviders"],
            IdentityPoolTags={"cogauth-emulator:credential-seconds": seconds},
        )

    tag_lifetime("20")
    short = credentials_for(w, env, "alice", custom_role=roles["dev"])
    left = short["Expiration"].timestamp() - time.time()
    check("the credential-seconds tag shortens the credentials' lifetime", 10 < left <= 21, left)
    tag_lifetime("5")
    expect_error(
        "a credential-seconds tag out of range is refused",
        lambda: credentials_for(w, env, "alice"),
        "InvalidParameterException",
    )
    tag_lifetime("90")
    expect_error(
        "CustomRoleArn not in the token is refused with NotAuthorizedException",
        lambda: credentials_for(w, env, "alice", custom_role=roles["ops"]),
        "NotAuthorizedException",
    )
    preferred = caller(w, credentials_for(w, env, "alice"))
    check(
        "without CustomRoleArn the preferred role is used",
        preferred == assumed(roles["admin"]),
        preferred,
    )
    expect_error(
        "no preferred role and Deny: NotAuthorizedException",
        lambda: credentials_for(w, env, "tina"),
        "NotAuthorizedException",
    )
    expect_error(
        "a user without roles and Deny: NotAuthorizedException",
        lambda: credentials_for(w, env, "nora"),
        "NotAuthorizedException",
    )
    expect_error(
        "a role whose trust policy names another pool: InvalidIdentityPoolConfigurationException",
        lambda: credentials_for(w, env, "ursula"),
        "InvalidIdentityPoolConfigurationException",
    )
    map_token("AuthenticatedRole")
    fallback = caller(w, credentials_for(w, env, "tina"))
    check(
        "no preferred role and AuthenticatedRole: the authenticated role",
        fallback == assumed(roles["auth"]),
        fallback,
    )
    expect_error(
        "CustomRoleArn not in the token is refused even with AuthenticatedRole",
        lambda: credentials_for(w, env, "tina", custom_role=roles["admin"]),
        "NotAuthorizedException",
    )

    token = login(w, env, "alice")["IdToken"]
    head, body, signature = token.split(".")
    forged = claims(token)
    forged["cognito:roles"] = [roles["ops"]]
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    check(
        "a token with a forged payload is refused (signature)",
        error_code(
            lambda: credentials_for(
                w, env, "alice", roles["ops"], f"{head}.{forged_body}.{signature}"
            )
        )
        == "NotAuthorizedException",
    )
    other = w.client("cognito-idp").admin_initiate_auth(
        UserPoolId=env["pool"]["Id"],
        ClientId=env["other_client"],
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    expect_error(
        "a token for a client the identity pool does not list is refused",
        lambda: credentials_for(w, env, "alice", id_token=other),
        "NotAuthorizedException",
    )
    access = login(w, env, "alice")["AccessToken"]
    expect_error(
        "an access token is refused",
        lambda: credentials_for(w, env, "alice", id_token=access),
        "NotAuthorizedException",
    )

    ident.set_identity_pool_roles(
        IdentityPoolId=env["identity_pool"],
        Roles={"authenticated": roles["auth"]},
        RoleMappings={
            key: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "cognito:groups",
                            "MatchType": "Contains",
                            "Value": "tie-",
                            "RoleARN": roles["ops"],
                        },
                        {
                            "Claim": "cognito:username",
                            "MatchType": "Equals",
                            "Value": "tina",
                            "RoleARN": roles["dev"],
                        },
                    ]
                },
            }
        },
    )
    by_rule = caller(w, credentials_for(w, env, "tina"))
    check(
        "Rules: the first matching rule's role",
        by_rule == assumed(roles["ops"]),
        by_rule,
    )
    by_custom = caller(w, credentials_for(w, env, "tina", custom_role=roles["dev"]))
    check(
        "Rules: CustomRoleArn picks another matching rule",
        by_custom == assumed(roles["dev"]),
        by_custom,
    )
    expect_error(
        "Rules: no rule matches and Deny: NotAuthorizedException",
        lambda: credentials_for(w, env, "alice"),
        "NotAuthorizedException",
    )
    check(
        "a malformed role mapping is refused with InvalidParameterException",
        error_code(
            lambda: ident.set_identity_pool_roles(
                IdentityPoolId=env["identity_pool"],
                Roles={"authenticated": roles["auth"]},
                RoleMappings={key: {"Type": "Token"}},
            )
        )
        == "InvalidParameterException",
    )
    map_token("Deny")
    return credentials_for(w, env, "alice")


def test_federation(w, env, role_credentials):
    w.http("DELETE", "/cogauth-test/federation")
    session = {
        "sessionId": role_credentials["AccessKeyId"],
        "sessionKey": role_credentials["SecretKey"],
        "sessionToken": role_credentials["SessionToken"],
    }

    def get_token(form=None, **params):
        if form is not None:
            return w.http("POST", "/federation", form=form)
        return w.http("GET", "/federation", params=params)

    status, _, body = get_token(
        Action="getSigninToken", SessionDuration="43200", Session=json.dumps(session)
    )
    token = json.loads(body).get("SigninToken") if status == 200 else None
    check(
        "getSigninToken with live role credentials answers a SigninToken",
        bool(token),
        (status, body),
    )
    status, _, body = get_token(form={"Action": "getSigninToken", "Session": json.dumps(session)})
    check(
        "getSigninToken also accepts a POSTed form",
        status == 200 and b"SigninToken" in body,
        (status, body),
    )
    destination = "https://console.aws.amazon.com/console/home?region=us-east-1"
    status, headers, _ = w.http(
        "GET",
        "/federation",
        params={
            "Action": "login",
            "Issuer": "https://cogauth.example/",
            "Destination": destination,
            "SigninToken": token,
        },
    )
    check(
        "login with the token redirects to the destination",
        status == 302 and headers.get("Location") == destination,
        (status, headers),
    )

    bad = {
        "no Session": {"Action": "getSigninToken"},
        "Session not JSON": {"Action": "getSigninToken", "Session": "{not json"},
        "Session without sessionToken": {
            "Action": "getSigninToken",
            "Session": json.dumps({k: session[k] for k in ("sessionId", "sessionKey")}),
        },
        "wrong sessionKey": {
            "Action": "getSigninToken",
            "Session": json.dumps({**session, "sessionKey": "nope"}),
        },
        "credentials never issued": {
            "Action": "getSigninToken",
            "Session": json.dumps({**session, "sessionId": "ASIANOTISSUED0000000"}),
        },
        "SessionDuration 899": {
            "Action": "getSigninToken",
            "SessionDuration": "899",
            "Session": json.dumps(session),
        },
        "SessionDuration 43201": {
            "Action": "getSigninToken",
            "SessionDuration": "43201",
            "Session": json.dumps(session),
        },
        "SessionDuration not a number": {
            "Action": "getSigninToken",
            "SessionDuration": "1h",
            "Session": json.dumps(session),
        },
        "unknown Action": {"Action": "getSigninTokens", "Session": json.dumps(session)},
        "login with a made-up token": {
            "Action": "login",
            "Destination": destination,
            "SigninToken": "made-up",
        },
        "login without Destination": {"Action": "login", "SigninToken": token},
        "login to a non-https Destination": {
            "Action": "login",
            "Destination": "ftp://example.com/",
            "SigninToken": token,
        },
    }
    for name, params in bad.items():
        status, _, body = w.http("GET", "/federation", params=params)
        check(f"federation refuses: {name}", status == 400 and b"Error" in body, (status, body))

    sts = w.client("sts")
    federated = sts.get_federation_token(Name="console", DurationSeconds=3600)["Credentials"]
    fed_session = json.dumps(
        {
            "sessionId": federated["AccessKeyId"],
            "sessionKey": federated["SecretAccessKey"],
            "sessionToken": federated["SessionToken"],
        }
    )
    status, _, _ = get_token(Action="getSigninToken", Session=fed_session)
    check("GetFederationToken credentials sign in without SessionDuration", status == 200, status)
    status, _, _ = get_token(Action="getSigninToken", SessionDuration="3600", Session=fed_session)
    check("GetFederationToken credentials with SessionDuration are refused", status == 400, status)
    session_token = sts.get_session_token()["Credentials"]
    status, _, _ = get_token(
        Action="getSigninToken",
        Session=json.dumps(
            {
                "sessionId": session_token["AccessKeyId"],
                "sessionKey": session_token["SecretAccessKey"],
                "sessionToken": session_token["SessionToken"],
            }
        ),
    )
    check("GetSessionToken credentials are refused", status == 400, status)
    plain = credentials_for(w, {**env, "identity_pool": env["plain_identity_pool"]}, "alice")
    status, _, _ = get_token(
        Action="getSigninToken",
        Session=json.dumps(
            {
                "sessionId": plain["AccessKeyId"],
                "sessionKey": plain["SecretKey"],
                "sessionToken": plain["SessionToken"],
            }
        ),
    )
    check("moto's fixed Cognito credentials sign in while unexpired", status == 200, status)

    iam = w.client("iam")
    user = w.name("user")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    status, _, body = get_token(
        Action="getSigninToken",
        Session=json.dumps(
            {
                "sessionId": key["AccessKeyId"],
                "sessionKey": key["SecretAccessKey"],
                "sessionToken": "x",
            }
        ),
    )
    check(
        "long-term IAM user keys are refused",
        status == 400 and b"LongTermCredentials" in body,
        (status, body),
    )
    w.http("POST", "/cogauth-test/federation/expire-tokens")
    status, _, _ = w.http(
        "GET",
        "/federation",
        params={"Action": "login", "Destination": destination, "SigninToken": token},
    )
    check("a sign-in token older than 15 minutes is refused", status == 400, status)

    status, _, body = w.http("GET", "/cogauth-test/federation")
    log = json.loads(body)["Requests"]
    first = log[0] if log else {}
    check(
        "the request log records the shape of each request",
        first.get("Action") == "getSigninToken"
        and first.get("ParamsIn") == "query"
        and first.get("SessionFields") == ["sessionId", "sessionKey", "sessionToken"]
        and first.get("SessionDuration") == "43200"
        and first.get("ConsoleSessionSeconds") == 43200
        and first.get("CredentialSource") == "AssumedRole"
        and first.get("RoleArn") == env["roles"]["admin"]
        and first.get("Status") == 200,
        first,
    )
    logins = [r for r in log if r.get("Action") == "login" and r.get("Status") == 302]
    check(
        "the log ties the login to its token and destination",
        bool(logins)
        and logins[0].get("TokenRef") == first.get("TokenRef")
        and logins[0].get("Destination") == destination
        and logins[0].get("Issuer") == "https://cogauth.example/",
        logins,
    )
    secrets = [session["sessionKey"], session["sessionToken"], token]
    check("the request log holds no secret", not any(s in body.decode() for s in secrets))


def test_tags(w, env):
    idp, ident = w.client("cognito-idp"), w.client("cognito-identity")
    managed = {"cogauth:managed": "true"}
    pool = idp.create_user_pool(PoolName=w.name("tagged"), UserPoolTags=managed)["UserPool"]
    arn = pool["Arn"]
    check(
        "CreateUserPool keeps UserPoolTags",
        pool.get("UserPoolTags") == managed,
        pool.get("UserPoolTags"),
    )
    idp.tag_resource(ResourceArn=arn, Tags={"team": "id"})
    check(
        "cognito-idp TagResource + ListTagsForResource",
        idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {**managed, "team": "id"},
    )
    idp.update_user_pool(UserPoolId=pool["Id"], AutoVerifiedAttributes=["email"])
    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"].get("UserPoolTags")
    check(
        "UpdateUserPool without UserPoolTags keeps the tags",
        described == {**managed, "team": "id"},
        described,
    )
    idp.untag_resource(ResourceArn=arn, TagKeys=["team"])
    check(
        "cognito-idp UntagResource", idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == managed
    )
    missing = arn.rsplit("/", 1)[0] + "/us-east-1_00000000000000000000000000000000"
    expect_error(
        "tagging a missing user pool: ResourceNotFoundException",
        lambda: idp.tag_resource(ResourceArn=missing, Tags=managed),
        "ResourceNotFoundException",
    )
    check(
        "tagging a user pool by a malformed ARN: InvalidParameterException",
        error_code(
            lambda: idp.tag_resource(ResourceArn="arn:aws:iam::123456789012:role/x", Tags=managed)
        )
        == "InvalidParameterException",
    )
    check(
        "more than 50 tags: InvalidParameterException",
        error_code(
            lambda: idp.tag_resource(ResourceArn=arn, Tags={f"k{i}": "v" for i in range(50)})
        )
        == "InvalidParameterException",
    )
    expect_error(
        "the aws: prefix is refused",
        lambda: idp.tag_resource(ResourceArn=arn, Tags={"aws:x": "v"}),
        "InvalidParameterException",
    )

    identity_pool = ident.create_identity_pool(
        IdentityPoolName=w.name("tagged").replace("-", "_"),
        AllowUnauthenticatedIdentities=False,
        IdentityPoolTags=managed,
    )
    ip_arn = f"arn:aws:cognito-identity:{REGION}:{ACCOUNT}:identitypool/{identity_pool['IdentityPoolId']}"
    ident.tag_resource(ResourceArn=ip_arn, Tags={"team": "id"})
    check(
        "cognito-identity TagResource + ListTagsForResource",
        ident.list_tags_for_resource(ResourceArn=ip_arn)["Tags"] == {**managed, "team": "id"},
    )
    ident.untag_resource(ResourceArn=ip_arn, TagKeys=["team"])
    check(
        "cognito-identity UntagResource + DescribeIdentityPool",
        ident.describe_identity_pool(IdentityPoolId=identity_pool["IdentityPoolId"])[
            "IdentityPoolTags"
        ]
        == managed,
    )
    expect_error(
        "tagging a missing identity pool: ResourceNotFoundException",
        lambda: ident.tag_resource(ResourceArn=ip_arn[:-4] + "0000", Tags=managed),
        "ResourceNotFoundException",
    )


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COGAUTH_EMULATOR_URL")
    if not url:
        sys.exit("usage: selftest_misc.py URL (or set COGAUTH_EMULATOR_URL)")
    started = time.time()
    w = World(url)
    env = setup(w)
    # A second identity pool on the same user pool, without a role mapping: moto's fixed answer.
    env["plain_identity_pool"] = w.client("cognito-identity").create_identity_pool(
        IdentityPoolName=w.name("plain").replace("-", "_"),
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": env["provider"], "ClientId": env["client"]}],
    )["IdentityPoolId"]
    role_credentials = None
    for section in (test_claims, test_role_mapping, test_federation, test_tags):
        try:
            if section is test_federation:
                section(w, env, role_credentials)
            elif section is test_role_mapping:
                role_credentials = section(w, env)
            else:
                section(w, env)
        except Exception as e:  # a crash fails the section, and the others still run
            check(f"{section.__name__} ran to the end", False, f"{type(e).__name__}: {e}")
    print(
        f"{'FAILED' if FAILURES else 'passed'}: {len(FAILURES)} failure(s) in {time.time() - started:.1f} s"
    )
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
