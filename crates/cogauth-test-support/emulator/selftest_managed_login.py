#!/usr/bin/env python3
"""End-to-end self-test of the emulated managed login and of the browser drivers.

Usage: <venv>/bin/python selftest_managed_login.py [--endpoint http://127.0.0.1:PORT]
(default: $COGAUTH_EMULATOR_URL). Needs a running launcher.py, the venv of requirements.txt
(boto3 comes with moto, selenium is pinned) and, for the real-browser check, the Debian packages
chromium and chromium-driver. Exits non-zero when any check fails; prints one line per check.

It plays the part of an app (cogauth): a loopback callback server on 127.0.0.1, PKCE, state and
nonce, the token and revocation endpoints, then the AWS APIs with the tokens (GetUser,
REFRESH_TOKEN_AUTH, GetId, GetCredentialsForIdentity). The user's part is played by an
in-process HTTP client for most checks, and by the two drivers in ../browsers/ (run as `$BROWSER
<url>` would run them) for the rest.
"""

import argparse
import base64
import hashlib
import hmac
import http.cookiejar
import http.server
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSERS = os.path.join(os.path.dirname(HERE), "browsers")
sys.path.insert(0, BROWSERS)

from scripted_browser import NoRedirect, Page, totp  # noqa: E402

REGION = "us-east-1"
PASSWORD = "Correct-Horse-1"
TOTP_SECRET = "asdfasdfasdf"  # moto's fixed TOTP secret
ADMIN = "aws.cognito.signin.user.admin"


# -- the app's side: loopback listener, PKCE ---------------------------------------------------


class Listener:
    """A loopback callback server, like cogauth's: records each callback, answers a page.

    While `answer` is cleared it holds its answers: a driver that waited for the page before
    exiting would then never exit (see SelfTest.run_driver)."""

    def __init__(self):
        self.calls = []
        self.answer = threading.Event()
        self.answer.set()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                listener.calls.append({"path": parts.path, "query": query})
                listener.answer.wait(300)
                if parts.path == "/callback":
                    text = (
                        "Signed in: you can close this window."
                        if "code" in query
                        else f"Sign-in failed: {query.get('error')}"
                    )
                else:
                    text = "Signed out."
                body = f'<!doctype html><html><body><p id="result">{text}</p></body></html>'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.callback = f"http://localhost:{self.port}/callback"
        self.signed_out = f"http://localhost:{self.port}/signed-out"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def pkce():
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class UserAgent:
    """A browser-like HTTP client: cookies, redirects handled by hand."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect(), urllib.request.ProxyHandler({})
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=30)
            return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()


def post_form(url, data, headers=None):
    return UserAgent().request(
        url, data, dict({"Content-Type": "application/x-www-form-urlencoded"}, **(headers or {}))
    )


def brief(answer):
    """A token endpoint answer for a failure message, without the tokens."""
    if not isinstance(answer, dict):
        return answer
    return {
        k: (v if k in ("error", "error_description", "token_type", "expires_in") else "<redacted>")
        for k, v in answer.items()
    }


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# -- the self-test ----------------------------------------------------------------------------


class SelfTest:
    def __init__(self, endpoint):
        import boto3

        self.endpoint = endpoint.rstrip("/")
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        self.idp = session.client("cognito-idp", endpoint_url=self.endpoint)
        self.identity = session.client("cognito-identity", endpoint_url=self.endpoint)
        self.results = []
        self.listener = Listener()
        self.tmp = tempfile.mkdtemp(prefix="cogauth-selftest-")

    # - fixtures -

    def setup(self):
        idp = self.idp
        self.pool = idp.create_user_pool(PoolName="managed-login-selftest")["UserPool"]["Id"]
        self.domain = f"selftest-{secrets.token_hex(4)}"
        idp.create_user_pool_domain(UserPoolId=self.pool, Domain=self.domain)
        self.base = f"{self.endpoint}/managed-login/{self.domain}"
        idp.create_identity_provider(
            UserPoolId=self.pool,
            ProviderName="CorpIdP",
            ProviderType="OIDC",
            ProviderDetails={
                "client_id": "corp-client",
                "client_secret": "x",
                "authorize_scopes": "openid email",
                "oidc_issuer": "https://idp.example.com",
                "attributes_request_method": "GET",
            },
            AttributeMapping={"email": "email", "name": "name", "username": "sub"},
        )
        idp.create_identity_provider(
            UserPoolId=self.pool,
            ProviderName="Unlisted",
            ProviderType="OIDC",
            ProviderDetails={"client_id": "u"},
            AttributeMapping={"username": "sub"},
        )
        common = dict(
            UserPoolId=self.pool,
            CallbackURLs=[self.listener.callback, self.listener.callback + "2"],
            LogoutURLs=[self.listener.signed_out],
            AllowedOAuthFlows=["code"],
            AllowedOAuthFlowsUserPoolClient=True,
            SupportedIdentityProviders=["COGNITO", "CorpIdP"],
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )
        scopes = ["openid", "email", "profile", ADMIN]
        self.public = idp.create_user_pool_client(ClientName="public", AllowedOAuthScopes=scopes, **common)[
            "UserPoolClient"
        ]
        self.secret = idp.create_user_pool_client(
            ClientName="secret", GenerateSecret=True, AllowedOAuthScopes=scopes, **common
        )["UserPoolClient"]
        self.noadmin = idp.create_user_pool_client(
            ClientName="noadmin", AllowedOAuthScopes=["openid", "email"], **common
        )["UserPoolClient"]
        implicit = dict(common, AllowedOAuthFlows=["implicit"])
        self.implicit = idp.create_user_pool_client(
            ClientName="implicit", AllowedOAuthScopes=scopes, **implicit
        )["UserPoolClient"]
        for name in ("alice", "bob", "dave"):
            idp.admin_create_user(
                UserPoolId=self.pool,
                Username=name,
                MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
            )
            idp.admin_set_user_password(
                UserPoolId=self.pool, Username=name, Password=PASSWORD, Permanent=True
            )
        idp.admin_disable_user(UserPoolId=self.pool, Username="bob")
        idp.admin_create_user(
            UserPoolId=self.pool,
            Username="carol",
            TemporaryPassword="Temporary-Pass-1",
            MessageAction="SUPPRESS",
        )
        # dave signs in with TOTP MFA.
        tokens = idp.initiate_auth(
            ClientId=self.public["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "dave", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        idp.associate_software_token(AccessToken=tokens["AccessToken"])
        idp.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=self.totp_code())
        idp.set_user_mfa_preference(
            AccessToken=tokens["AccessToken"],
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        self.identity_pool = self.identity.create_identity_pool(
            IdentityPoolName="selftest",
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[
                {
                    "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{self.pool}",
                    "ClientId": self.public["ClientId"],
                }
            ],
        )["IdentityPoolId"]

    def totp_code(self):
        # Stay clear of the end of a 30 s step: moto checks without a tolerance window.
        if 30 - time.time() % 30 < 2:
            time.sleep(2.5)
        return totp(TOTP_SECRET)

    # - helpers -

    def authorize_url(self, client, challenge=None, state="st-1", nonce=None, extra=None, drop=()):
        params = {
            "response_type": "code",
            "client_id": client["ClientId"],
            "redirect_uri": self.listener.callback,
            "scope": f"openid email profile {ADMIN}",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if nonce:
            params["nonce"] = nonce
        params.update(extra or {})
        params = {k: v for k, v in params.items() if v is not None and k not in drop}
        return f"{self.base}/oauth2/authorize?" + urllib.parse.urlencode(params)

    def follow(self, ua, url, data=None, limit=10):
        """Follow redirects until a page or the callback; returns (status, url, body, page)."""
        for _ in range(limit):
            if url.startswith(self.listener.callback):
                return 302, url, "", None
            status, headers, body = ua.request(url, data)
            data = None
            if 300 <= status < 400:
                url = urllib.parse.urljoin(url, headers["Location"])
                continue
            return status, url, body, Page(body)
        raise AssertionError("too many redirects")

    def submit(self, ua, url, page, form_id, fields):
        form = page.forms[form_id]
        return self.follow(ua, urllib.parse.urljoin(url, form["action"]), dict(form["fields"], **fields))

    def sign_in(self, client=None, username="alice", password=PASSWORD, ua=None, nonce=None, extra=None):
        """A full sign-in: returns (ua, verifier, callback query)."""
        ua = ua or UserAgent()
        verifier, challenge = pkce()
        state = secrets.token_urlsafe(8)
        status, url, body, page = self.follow(
            ua, self.authorize_url(client or self.public, challenge, state, nonce, extra)
        )
        check(
            page is not None and page.page_id == "login-page", f"expected the login page, got {status} {url}"
        )
        status, url, body, page = self.submit(
            ua, url, page, "signin-form", {"username": username, "password": password, "action": "signin"}
        )
        check(page is None, f"sign-in did not reach the callback: {status} {url} {page and page.alerts}")
        query = query_of(url)
        check(query.get("state") == state, f"state not kept: {query}")
        return ua, verifier, query

    def exchange(self, code, verifier, client=None, redirect_uri=None, auth="none"):
        client = client or self.public
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or self.listener.callback,
        }
        if verifier is not None:
            data["code_verifier"] = verifier
        headers = {}
        if auth == "basic":
            raw = f"{client['ClientId']}:{client['ClientSecret']}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        else:
            data["client_id"] = client["ClientId"]
            if auth == "post":
                data["client_secret"] = client["ClientSecret"]
            elif auth == "wrong":
                data["client_secret"] = "not-the-secret"
        status, _, body = post_form(self.base + "/oauth2/token", data, headers)
        return status, json.loads(body or "{}")

    def aws_error(self, call):
        try:
            call()
        except Exception as error:  # botocore ClientError
            return error.response["Error"]["Code"]
        return None

    # - checks -

    def check_discovery(self):
        with urllib.request.urlopen(
            f"{self.endpoint}/{self.pool}/.well-known/openid-configuration"
        ) as answer:
            document = json.load(answer)
        for key, path in (
            ("authorization_endpoint", "/oauth2/authorize"),
            ("token_endpoint", "/oauth2/token"),
            ("revocation_endpoint", "/oauth2/revoke"),
            ("end_session_endpoint", "/logout"),
            ("userinfo_endpoint", "/oauth2/userInfo"),
        ):
            check(document.get(key) == self.base + path, f"{key}: {document.get(key)}")

    def check_code_flow(self):
        nonce = secrets.token_urlsafe(8)
        ua, verifier, query = self.sign_in(nonce=nonce)
        status, tokens = self.exchange(query["code"], verifier)
        check(status == 200, f"token exchange: {status} {brief(tokens)}")
        check(
            set(tokens) >= {"id_token", "access_token", "refresh_token", "expires_in", "token_type"},
            str(brief(tokens)),
        )
        id_claims, access_claims = claims(tokens["id_token"]), claims(tokens["access_token"])
        check(id_claims.get("nonce") == nonce, f"nonce: {id_claims}")
        check(id_claims["aud"] == self.public["ClientId"] and id_claims["token_use"] == "id", str(id_claims))
        check(
            set(access_claims["scope"].split()) == {"openid", "email", "profile", ADMIN},
            access_claims["scope"],
        )
        self.verify_signature(tokens["id_token"])
        user = self.idp.get_user(AccessToken=tokens["access_token"])
        check(user["Username"] == "alice", str(user))
        self.tokens = tokens
        self.session_ua = ua

    def verify_signature(self, token):
        from joserfc import jwk, jwt

        with urllib.request.urlopen(f"{self.endpoint}/{self.pool}/.well-known/jwks.json") as answer:
            keys = jwk.KeySet.import_key_set(json.load(answer))
        jwt.decode(token, keys)  # raises on a bad signature

    def check_refresh_and_identity_pool(self):
        tokens = self.tokens
        refreshed = self.idp.initiate_auth(
            ClientId=self.public["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
        )["AuthenticationResult"]
        check(
            "scope" in claims(refreshed["AccessToken"])
            and ADMIN in claims(refreshed["AccessToken"])["scope"],
            "scope kept",
        )
        check(
            claims(refreshed["IdToken"])["auth_time"] == claims(tokens["id_token"])["auth_time"],
            "auth_time kept",
        )
        status, answer = self.token_refresh(tokens["refresh_token"])
        check(
            status == 200 and "id_token" in answer and "refresh_token" not in answer,
            f"refresh grant: {status} {brief(answer)}",
        )
        login = {f"cognito-idp.{REGION}.amazonaws.com/{self.pool}": tokens["id_token"]}
        identity_id = self.identity.get_id(IdentityPoolId=self.identity_pool, Logins=login)["IdentityId"]
        credentials = self.identity.get_credentials_for_identity(IdentityId=identity_id, Logins=login)[
            "Credentials"
        ]
        check(credentials.get("AccessKeyId"), "credentials")

    def token_refresh(self, refresh_token, client=None):
        client = client or self.public
        status, _, body = post_form(
            self.base + "/oauth2/token",
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client["ClientId"]},
        )
        return status, json.loads(body or "{}")

    def check_session_cookie(self):
        ua = self.session_ua
        verifier, challenge = pkce()
        status, headers, _ = ua.request(self.authorize_url(self.public, challenge, "again"))
        location = headers.get("Location", "")
        check(
            status == 302 and location.startswith(self.listener.callback),
            f"session skips the page: {status} {location}",
        )
        check(query_of(location).get("state") == "again" and "code" in query_of(location), location)
        status, tokens = self.exchange(query_of(location)["code"], verifier)
        check(status == 200, f"code from the session: {status} {brief(tokens)}")
        _, url, _, page = self.follow(
            ua, self.authorize_url(self.public, challenge, extra={"prompt": "login"})
        )
        check(page is not None and page.page_id == "login-page", "prompt=login shows the page")
        _, headers, _ = UserAgent().request(
            self.authorize_url(self.public, challenge, "s", extra={"prompt": "none"})
        )
        check(query_of(headers["Location"]).get("error") == "login_required", headers["Location"])
        _, headers, _ = ua.request(self.authorize_url(self.public, challenge, "s", extra={"prompt": "none"}))
        check("code" in query_of(headers["Location"]), f"prompt=none with a session: {headers['Location']}")

    def check_pkce(self):
        _, verifier, query = self.sign_in()
        status, answer = self.exchange(query["code"], verifier[:-1] + ("A" if verifier[-1] != "A" else "B"))
        check(
            status == 400 and answer["error"] == "invalid_grant", f"wrong verifier: {status} {brief(answer)}"
        )
        _, verifier, query = self.sign_in()
        status, answer = self.exchange(query["code"], None)
        check(
            status == 400 and answer["error"] == "invalid_request",
            f"missing verifier: {status} {brief(answer)}",
        )
        _, challenge = pkce()
        for extra, drop, what in (
            ({"code_challenge_method": "plain"}, (), "plain"),
            ({}, ("code_challenge", "code_challenge_method"), "no PKCE"),
            ({}, ("code_challenge_method",), "no method"),
            ({"code_challenge": challenge + "="}, (), "padded challenge"),
        ):
            _, headers, _ = UserAgent().request(
                self.authorize_url(self.public, challenge, "p", extra=extra, drop=drop)
            )
            location = headers.get("Location", "")
            check(
                location.startswith(self.listener.callback)
                and query_of(location).get("error") == "invalid_request"
                and query_of(location).get("state") == "p",
                f"{what}: {location}",
            )

    def check_code_reuse_and_expiry(self):
        _, verifier, query = self.sign_in()
        status, tokens = self.exchange(query["code"], verifier)
        check(status == 200, "first exchange")
        status, answer = self.exchange(query["code"], verifier)
        check(status == 400 and answer["error"] == "invalid_grant", f"replay: {status} {brief(answer)}")
        error = self.aws_error(
            lambda: self.idp.initiate_auth(
                ClientId=self.public["ClientId"],
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
            )
        )
        check(error == "NotAuthorizedException", f"a replay revokes what the code issued: {error}")
        _, verifier, query = self.sign_in()
        status, _, body = post_form(
            f"{self.endpoint}/cogauth-test/managed-login/age", {"seconds": "301", "domain": self.domain}
        )
        check(status == 200, f"age: {status} {body}")
        status, answer = self.exchange(query["code"], verifier)
        check(status == 400 and answer["error"] == "invalid_grant", f"expired code: {status} {brief(answer)}")

    def check_redirect_uri(self):
        _, challenge = pkce()
        url = self.authorize_url(self.public, challenge, extra={"redirect_uri": self.listener.callback + "/"})
        status, headers, _ = UserAgent().request(url)
        location = headers.get("Location", "")
        check(
            status == 302 and location.startswith(self.base + "/error?") and "redirect_mismatch" in location,
            f"mismatch is an error page: {location}",
        )
        status, _, body = UserAgent().request(location)
        check(status == 400 and "redirect_mismatch" in body, "the error page")
        _, verifier, query = self.sign_in()
        status, answer = self.exchange(query["code"], verifier, redirect_uri=self.listener.callback + "2")
        check(
            status == 400 and answer["error"] == "invalid_grant",
            f"other callback at token: {status} {brief(answer)}",
        )
        _, verifier, query = self.sign_in()
        status, answer = self.exchange(query["code"], verifier, redirect_uri="http://localhost:1/elsewhere")
        check(
            status == 400 and answer["error"] == "unauthorized_client",
            f"unregistered at token: {status} {brief(answer)}",
        )

    def check_client_and_scope_errors(self):
        _, challenge = pkce()
        _, headers, _ = UserAgent().request(self.authorize_url({"ClientId": "nosuchclient"}, challenge))
        check(headers["Location"].startswith(self.base + "/error?"), f"unknown client: {headers['Location']}")
        _, headers, _ = UserAgent().request(self.authorize_url(self.noadmin, challenge))
        check(
            headers["Location"].startswith(self.base + "/error?") and "invalid_scope" in headers["Location"],
            f"scope not allowed: {headers['Location']}",
        )
        _, headers, _ = UserAgent().request(self.authorize_url(self.implicit, challenge))
        check(
            query_of(headers["Location"]).get("error") == "unauthorized_client",
            f"code flow not allowed: {headers['Location']}",
        )

    def check_secret_client(self):
        for auth, expected in (("basic", 200), ("post", 200), ("wrong", 400), ("none", 400)):
            _, verifier, query = self.sign_in(self.secret)
            status, answer = self.exchange(query["code"], verifier, self.secret, auth=auth)
            check(status == expected, f"secret client, {auth}: {status} {brief(answer)}")
            if expected != 200:
                check(answer["error"] == "invalid_client", f"{auth}: {brief(answer)}")
            else:
                tokens = answer
        digest = hmac.new(
            self.secret["ClientSecret"].encode(), ("alice" + self.secret["ClientId"]).encode(), hashlib.sha256
        ).digest()
        self.idp.initiate_auth(
            ClientId=self.secret["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": tokens["refresh_token"],
                "SECRET_HASH": base64.b64encode(digest).decode(),
            },
        )
        log = json.load(
            urllib.request.urlopen(f"{self.endpoint}/cogauth-test/managed-login/log?domain={self.domain}")
        )
        methods = [e["client_auth"] for e in log["token"] if e["client_id"] == self.secret["ClientId"]]
        check(methods == ["basic", "post", "post", "none"], f"log of client authentication: {methods}")
        check(
            all("code" not in e and "client_secret" not in e for e in log["token"]), "the log holds no secret"
        )

    def check_page_outcomes(self):
        # Cancel on the sign-in page.
        ua, (_, challenge) = UserAgent(), pkce()
        _, url, _, page = self.follow(ua, self.authorize_url(self.public, challenge, "deny-state"))
        status, url, _, page = self.submit(ua, url, page, "signin-form", {"action": "cancel"})
        check(
            query_of(url)
            == {
                "error": "access_denied",
                "error_description": "The user cancelled the sign-in",
                "state": "deny-state",
            },
            f"cancel: {url}",
        )
        for username, password, message in (
            ("bob", PASSWORD, "User is disabled."),
            ("alice", "wrong-password", "Incorrect username or password."),
            ("nobody", PASSWORD, "Incorrect username or password."),
        ):
            ua = UserAgent()
            _, url, _, page = self.follow(ua, self.authorize_url(self.public, challenge))
            status, url, _, page = self.submit(
                ua, url, page, "signin-form", {"username": username, "password": password, "action": "signin"}
            )
            check(
                page is not None and page.alerts == [message], f"{username}: {status} {page and page.alerts}"
            )
        # login_hint prefills the form.
        _, _, _, page = self.follow(
            UserAgent(), self.authorize_url(self.public, challenge, extra={"login_hint": "alice"})
        )
        check(page.forms["signin-form"]["fields"]["username"] == "alice", "login_hint")
        # A CSRF-less post is refused.
        status, _, _ = post_form(
            f"{self.base}/login?"
            + urllib.parse.urlencode(query_of(self.authorize_url(self.public, challenge))),
            {"username": "alice", "password": PASSWORD, "action": "signin"},
        )
        check(status == 403, f"post without the CSRF token: {status}")

    def check_new_password_and_mfa(self):
        ua, (verifier, challenge) = UserAgent(), pkce()
        _, url, _, page = self.follow(ua, self.authorize_url(self.public, challenge))
        _, url, _, page = self.submit(
            ua,
            url,
            page,
            "signin-form",
            {"username": "carol", "password": "Temporary-Pass-1", "action": "signin"},
        )
        check(page.page_id == "new-password-page", "temporary password asks for a new one")
        status, url, _, page = self.submit(
            ua, url, page, "new-password-form", {"new_password": "short", "action": "new_password"}
        )
        check(status == 400 and page.page_id == "new-password-page", "a weak password is refused")
        _, url, _, page = self.submit(
            ua, url, page, "new-password-form", {"new_password": "Brand-New-Pass-2", "action": "new_password"}
        )
        check(page is None and "code" in query_of(url), f"new password signs in: {url}")
        status, tokens = self.exchange(query_of(url)["code"], verifier)
        check(status == 200 and claims(tokens["id_token"])["cognito:username"] == "carol", f"carol: {status}")
        check(
            self.idp.admin_get_user(UserPoolId=self.pool, Username="carol")["UserStatus"] == "CONFIRMED",
            "carol confirmed",
        )

        ua, (verifier, challenge) = UserAgent(), pkce()
        _, url, _, page = self.follow(ua, self.authorize_url(self.public, challenge))
        _, url, _, page = self.submit(
            ua, url, page, "signin-form", {"username": "dave", "password": PASSWORD, "action": "signin"}
        )
        check(page.page_id == "totp-page", "MFA user is asked for a code")
        good = self.totp_code()
        bad = f"{(int(good) + 1) % 1000000:06d}"
        status, url, _, page = self.submit(ua, url, page, "totp-form", {"code": bad, "action": "totp"})
        check(status == 400 and page.page_id == "totp-page", "a wrong code is refused")
        _, url, _, page = self.submit(
            ua, url, page, "totp-form", {"code": self.totp_code(), "action": "totp"}
        )
        check(page is None and "code" in query_of(url), f"MFA signs in: {url}")
        status, tokens = self.exchange(query_of(url)["code"], verifier)
        check(status == 200 and claims(tokens["id_token"])["cognito:username"] == "dave", f"dave: {status}")

    def check_federation(self):
        ua, (verifier, challenge) = UserAgent(), pkce()
        url = self.authorize_url(
            self.public,
            challenge,
            "fed",
            extra={"identity_provider": "CorpIdP", "login_hint": "erin@corp.example"},
        )
        _, url, _, page = self.follow(ua, url)
        check(page.page_id == "idp-page", f"the fake IdP page: {url}")
        _, url, _, page = self.submit(
            ua, url, page, "idp-form", {"sub": "erin-42", "name": "Erin", "action": "approve"}
        )
        check(page is None and query_of(url).get("state") == "fed", f"back to the app: {url}")
        status, tokens = self.exchange(query_of(url)["code"], verifier)
        check(status == 200, f"federated exchange: {status} {brief(tokens)}")
        id_claims = claims(tokens["id_token"])
        check(id_claims["cognito:username"] == "CorpIdP_erin-42", str(id_claims))
        identities = id_claims.get("identities") or [{}]
        check(
            identities[0].get("providerName") == "CorpIdP"
            and identities[0].get("userId") == "erin-42"
            and identities[0].get("primary") == "true",
            f"identities claim: {identities}",
        )
        check(
            f"{self.pool}_CorpIdP" in id_claims.get("cognito:groups", []),
            f"provider group: {id_claims.get('cognito:groups')}",
        )
        user = self.idp.admin_get_user(UserPoolId=self.pool, Username="CorpIdP_erin-42")
        attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        check(user["UserStatus"] == "EXTERNAL_PROVIDER", user["UserStatus"])
        check(
            attributes.get("email") == "erin@corp.example"
            and attributes.get("name") == "Erin"
            and "identities" in attributes,
            str(attributes),
        )
        check(
            self.idp.get_user(AccessToken=tokens["access_token"])["Username"] == "CorpIdP_erin-42", "GetUser"
        )
        self.idp.initiate_auth(
            ClientId=self.public["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
        )
        # Denied at the IdP; a provider the client does not list.
        ua = UserAgent()
        _, url, _, page = self.follow(
            ua, self.authorize_url(self.public, challenge, "fed2", extra={"identity_provider": "CorpIdP"})
        )
        _, url, _, page = self.submit(ua, url, page, "idp-form", {"action": "deny"})
        check(
            query_of(url).get("error") == "access_denied" and query_of(url).get("state") == "fed2",
            f"IdP deny: {url}",
        )
        _, url, _, page = self.follow(
            UserAgent(), self.authorize_url(self.public, challenge, extra={"identity_provider": "Unlisted"})
        )
        check(
            page.page_id == "login-page"
            and page.alerts == ["Login option is not available. Please try another one."],
            f"unlisted provider: {page.alerts}",
        )

    def check_scopes_and_userinfo(self):
        _, verifier, query = self.sign_in(self.noadmin, extra={"scope": "openid email"})
        status, tokens = self.exchange(query["code"], verifier, self.noadmin)
        check(status == 200, "noadmin exchange")
        error = self.aws_error(lambda: self.idp.get_user(AccessToken=tokens["access_token"]))
        check(error == "NotAuthorizedException", f"GetUser needs {ADMIN}: {error}")
        ua = UserAgent()
        status, _, body = ua.request(
            self.base + "/oauth2/userInfo", headers={"Authorization": "Bearer " + tokens["access_token"]}
        )
        info = json.loads(body)
        check(
            status == 200 and info.get("email") == "alice@example.com" and info.get("sub"),
            f"userInfo: {status} {info}",
        )
        status, _, _ = ua.request(self.base + "/oauth2/userInfo")
        check(status == 400, f"userInfo without a token: {status}")

    def check_revoke(self):
        _, verifier, query = self.sign_in()
        _, tokens = self.exchange(query["code"], verifier)
        status, _, body = post_form(
            self.base + "/oauth2/revoke",
            {"token": tokens["access_token"], "client_id": self.public["ClientId"]},
        )
        check(
            status == 400 and json.loads(body)["error"] == "unsupported_token_type",
            f"revoke an access token: {status} {body}",
        )
        status, _, body = post_form(
            self.base + "/oauth2/revoke",
            {"token": tokens["refresh_token"], "client_id": self.secret["ClientId"]},
        )
        check(
            status == 401 and json.loads(body)["error"] == "invalid_client",
            f"secret missing: {status} {body}",
        )
        status, _, body = post_form(
            self.base + "/oauth2/revoke",
            {"token": tokens["refresh_token"], "client_id": self.public["ClientId"]},
        )
        check(status == 200, f"revoke: {status} {body}")
        error = self.aws_error(
            lambda: self.idp.initiate_auth(
                ClientId=self.public["ClientId"],
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": tokens["refresh_token"]},
            )
        )
        check(error == "NotAuthorizedException", f"refresh after revoke: {error}")
        error = self.aws_error(lambda: self.idp.get_user(AccessToken=tokens["access_token"]))
        check(error == "NotAuthorizedException", f"access token revoked too: {error}")
        status, answer = self.token_refresh(tokens["refresh_token"])
        check(
            status == 400 and answer["error"] == "invalid_grant",
            f"refresh grant after revoke: {status} {brief(answer)}",
        )

    def check_logout(self):
        ua, _, _ = self.sign_in()
        status, headers, _ = ua.request(
            self.base
            + "/logout?"
            + urllib.parse.urlencode(
                {"client_id": self.public["ClientId"], "logout_uri": "http://localhost:1/not-registered"}
            )
        )
        check(
            "redirect_mismatch" in headers.get("Location", ""),
            f"unregistered logout_uri: {headers.get('Location')}",
        )
        status, headers, _ = ua.request(
            self.base
            + "/logout?"
            + urllib.parse.urlencode(
                {"client_id": self.public["ClientId"], "logout_uri": self.listener.signed_out}
            )
        )
        check(
            status == 302 and headers["Location"] == self.listener.signed_out,
            f"logout: {status} {headers.get('Location')}",
        )
        _, challenge = pkce()
        _, url, _, page = self.follow(ua, self.authorize_url(self.public, challenge))
        check(page is not None and page.page_id == "login-page", "after logout the page is shown again")

    def run_driver(self, script, env, timeout):
        """Run a driver as `$BROWSER <url>` is run; its JSON result once it has written it.

        The listener holds its answer until the driver process has exited: the process must
        exit before its callback is answered (an app may wait for `$BROWSER` before it serves
        the callback), or this times out and fails."""
        result = os.path.join(self.tmp, f"result-{secrets.token_hex(4)}.json")
        full_env = dict(os.environ, COGAUTH_BROWSER_RESULT=result, **env)
        self.listener.answer.clear()
        try:
            process = subprocess.run(
                [sys.executable, os.path.join(BROWSERS, script), env["URL"]],
                env=full_env,
                timeout=timeout,
                capture_output=True,
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{script} did not exit before its callback was answered") from None
        finally:
            self.listener.answer.set()
        check(
            process.returncode == 0, f"{script} exit {process.returncode}: {process.stderr.decode()[-2000:]}"
        )
        deadline = time.time() + timeout
        while not os.path.exists(result) and time.time() < deadline:
            time.sleep(0.05)
        check(os.path.exists(result), f"{script} wrote no result in {timeout} s")
        with open(result) as answer:
            return json.load(answer)

    def check_scripted_browser(self):
        verifier, challenge = pkce()
        url = self.authorize_url(self.public, challenge, "sb-state")
        before = len(self.listener.calls)
        result = self.run_driver(
            "scripted_browser.py",
            {"URL": url, "COGAUTH_BROWSER_USERNAME": "alice", "COGAUTH_BROWSER_PASSWORD": PASSWORD},
            30,
        )
        check(
            result["outcome"] == "called_back", f"scripted browser: {result['outcome']} {result['message']}"
        )
        check(
            result["callback"]["status"] == 200 and "Signed in" in result["callback"]["body"],
            str(result["callback"]),
        )
        call = self.listener.calls[before]["query"]
        status, _ = self.exchange(call["code"], verifier)
        check(status == 200 and call["state"] == "sb-state", "the code the browser delivered works")
        # Knobs: altered state, deny, ignore, federated.
        result = self.run_driver(
            "scripted_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "sb-2"),
                "COGAUTH_BROWSER_USERNAME": "alice",
                "COGAUTH_BROWSER_PASSWORD": PASSWORD,
                "COGAUTH_BROWSER_STATE": "alter",
                "COGAUTH_BROWSER_CODE": "drop",
            },
            30,
        )
        query = query_of(result["callback"]["url"])
        check(
            query.get("state") not in (None, "sb-2") and "code" not in query,
            f"state altered, code dropped: {query}",
        )
        result = self.run_driver(
            "scripted_browser.py",
            {"URL": self.authorize_url(self.public, challenge, "sb-3"), "COGAUTH_BROWSER_ACTION": "deny"},
            30,
        )
        check(
            query_of(result["callback"]["url"]).get("error") == "access_denied",
            f"deny: {result.get('callback')}",
        )
        before = len(self.listener.calls)
        result = self.run_driver(
            "scripted_browser.py",
            {"URL": self.authorize_url(self.public, challenge, "sb-4"), "COGAUTH_BROWSER_ACTION": "ignore"},
            30,
        )
        check(
            result["outcome"] == "stopped" and len(self.listener.calls) == before,
            f"ignore: {result['outcome']}",
        )
        result = self.run_driver(
            "scripted_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "sb-5"),
                "COGAUTH_BROWSER_ACTION": "federated",
                "COGAUTH_BROWSER_IDP": "CorpIdP",
                "COGAUTH_BROWSER_IDP_SUB": "frank-7",
                "COGAUTH_BROWSER_IDP_EMAIL": "frank@corp.example",
            },
            30,
        )
        check(
            result["outcome"] == "called_back" and "code" in query_of(result["callback"]["url"]),
            f"federated: {result['message']}",
        )
        check(
            self.idp.admin_get_user(UserPoolId=self.pool, Username="CorpIdP_frank-7")["UserStatus"]
            == "EXTERNAL_PROVIDER",
            "frank",
        )
        result = self.run_driver(
            "scripted_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "sb-6"),
                "COGAUTH_BROWSER_USERNAME": "alice",
                "COGAUTH_BROWSER_PASSWORD": "nope",
            },
            30,
        )
        check(
            result["outcome"] == "refused" and result["message"] == "Incorrect username or password.",
            str(result["message"]),
        )
        # The managed-login session kept in a cookie file across runs, then ended by /logout.
        cookies = os.path.join(self.tmp, "cookies.txt")
        sign_in = {
            "COGAUTH_BROWSER_USERNAME": "alice",
            "COGAUTH_BROWSER_PASSWORD": PASSWORD,
            "COGAUTH_BROWSER_COOKIES": cookies,
        }
        result = self.run_driver(
            "scripted_browser.py", dict(sign_in, URL=self.authorize_url(self.public, challenge, "c1")), 30
        )
        check(result["outcome"] == "called_back", f"cookie run 1: {result['message']}")
        result = self.run_driver(
            "scripted_browser.py",
            {"URL": self.authorize_url(self.public, challenge, "c2"), "COGAUTH_BROWSER_COOKIES": cookies},
            30,
        )
        check(
            result["outcome"] == "called_back" and len(result["steps"]) == 2,
            f"session reused: {result['steps']}",
        )
        logout = (
            self.base
            + "/logout?"
            + urllib.parse.urlencode(
                {"client_id": self.public["ClientId"], "logout_uri": self.listener.signed_out}
            )
        )
        result = self.run_driver(
            "scripted_browser.py", {"URL": logout, "COGAUTH_BROWSER_COOKIES": cookies}, 30
        )
        check(
            result["outcome"] == "called_back" and "Signed out" in result["callback"]["body"],
            f"logout: {result}",
        )
        result = self.run_driver(
            "scripted_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "c3"),
                "COGAUTH_BROWSER_COOKIES": cookies,
                "COGAUTH_BROWSER_ACTION": "ignore",
            },
            30,
        )
        check(
            result["outcome"] == "stopped" and "/login?" in result["final"]["url"],
            f"session ended: {result['final']['url']}",
        )
        # Record the redirect without delivering it (for --no-browser).
        before = len(self.listener.calls)
        result = self.run_driver(
            "scripted_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "r1"),
                "COGAUTH_BROWSER_USERNAME": "alice",
                "COGAUTH_BROWSER_PASSWORD": PASSWORD,
                "COGAUTH_BROWSER_CALLBACK": "record",
            },
            30,
        )
        check(
            result["outcome"] == "redirected"
            and "code=" in result["callback"]["url"]
            and len(self.listener.calls) == before,
            f"record only: {result['outcome']}",
        )
        # An altered challenge: the code is issued, the app's verifier no longer matches.
        verifier, challenge = pkce()
        result = self.run_driver(
            "scripted_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "sb-7"),
                "COGAUTH_BROWSER_USERNAME": "alice",
                "COGAUTH_BROWSER_PASSWORD": PASSWORD,
                "COGAUTH_BROWSER_CHALLENGE": "alter",
            },
            30,
        )
        status, answer = self.exchange(query_of(result["callback"]["url"])["code"], verifier)
        check(
            status == 400 and answer["error"] == "invalid_grant",
            f"altered challenge: {status} {brief(answer)}",
        )

    def check_chromium(self):
        verifier, challenge = pkce()
        screenshot = os.path.join(self.tmp, "chromium.png")
        result = self.run_driver(
            "chromium_browser.py",
            {
                "URL": self.authorize_url(self.public, challenge, "chromium-state"),
                "COGAUTH_BROWSER_USERNAME": "alice",
                "COGAUTH_BROWSER_PASSWORD": PASSWORD,
                "COGAUTH_BROWSER_SCREENSHOT": screenshot,
            },
            120,
        )
        check(
            result["outcome"] == "called_back", f"chromium: {result['outcome']} {result['message'][-3000:]}"
        )
        check("Signed in: you can close this window." in result["callback"]["text"], str(result["callback"]))
        check(os.path.getsize(screenshot) > 1000, "screenshot")
        call = next(
            c["query"] for c in reversed(self.listener.calls) if c["query"].get("state") == "chromium-state"
        )
        status, _ = self.exchange(call["code"], verifier)
        check(status == 200, "the code chromium delivered works")

    def run(self):
        self.setup()
        checks = [name for name in dir(self) if name.startswith("check_") and callable(getattr(self, name))]
        order = [
            "check_discovery",
            "check_code_flow",
            "check_refresh_and_identity_pool",
            "check_session_cookie",
        ]
        order += sorted(set(checks) - set(order) - {"check_chromium"}) + ["check_chromium"]
        for name in order:
            started = time.time()
            try:
                getattr(self, name)()
                self.results.append((name, None))
                print(f"ok    {name} ({time.time() - started:.2f} s)", flush=True)
            except Exception as error:  # report every check, then fail
                detail = str(error) if isinstance(error, AssertionError) else traceback.format_exc()
                self.results.append((name, detail))
                print(f"FAIL  {name}: {detail}", flush=True)
        failed = [name for name, error in self.results if error]
        print(f"{len(self.results) - len(failed)} passed, {len(failed)} failed")
        if failed:
            print(f"driver results and screenshots kept in {self.tmp}")
            return 1
        shutil.rmtree(self.tmp, ignore_errors=True)
        return 0


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=os.environ.get("COGAUTH_EMULATOR_URL"))
    args = parser.parse_args()
    if not args.endpoint:
        parser.error(
            "give --endpoint or set COGAUTH_EMULATOR_URL (start one with `cargo xtask emulator start`)"
        )
    return SelfTest(args.endpoint).run()


if __name__ == "__main__":
    sys.exit(main())
