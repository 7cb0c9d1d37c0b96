"""Start moto_server on 127.0.0.1 with the few things cogauth needs and moto 5.2.5 lacks.

Usage: launcher.py [--port N] [--parent-pid PID]

Prints "COGAUTH_EMULATOR_READY <port>" on stdout once the server accepts requests.
With --port 0 (the default) the kernel picks a free port, so there is no race between
choosing a port and binding it.

Extensions (kept small; documented in docs/emulator.md):
- cognito-identity SetIdentityPoolRoles / GetIdentityPoolRoles: moto answers HTTP 500
  (not implemented). They are stored per pool on the backend, so /moto-api/reset clears them.
- cognito-identity AllowClassicFlow: moto drops it on Create/UpdateIdentityPool and never
  returns it from DescribeIdentityPool; the basic flow and `cogauth doctor` need it.
- cognito-idp RevokeToken: moto answers HTTP 500. `cogauth logout` revokes the refresh token;
  the token is invalidated the way moto's own sign-out does it, so a later refresh fails.
- Lambda Invoke forwarding: a function whose environment has COGAUTH_TEST_FORWARD_URL gets
  its Invoke payload POSTed there and answers with what comes back. moto runs no Lambda code
  without Docker; this lets a test run the real proxy handler behind a real Invoke. Invoking
  a missing function is ResourceNotFoundException, as on AWS (moto's simple backend answers).
- GET /cogauth-test/calls: how many InitiateAuth calls each app client made, per AuthFlow.
  The single-flight test proves that N concurrent credential-process calls cause exactly one
  refresh *at the server*.
"""

import argparse
import json
import os
import re
import sys
import threading
import time

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def install_extensions():
    from moto.cognitoidentity import models, responses
    from moto.cognitoidentity.exceptions import ResourceNotFoundError
    from moto.core.exceptions import JsonRESTError

    class InvalidParameterException(JsonRESTError):
        def __init__(self, message):
            super().__init__("InvalidParameterException", message)

    def pool_roles(backend):
        # One dict per backend (account, region); reset() builds new backends.
        if not hasattr(backend, "cogauth_pool_roles"):
            backend.cogauth_pool_roles = {}
        return backend.cogauth_pool_roles

    def set_identity_pool_roles(self):
        pool_id = self._get_param("IdentityPoolId")
        roles = self._get_param("Roles") or {}
        mappings = self._get_param("RoleMappings") or {}
        if pool_id not in self.backend.identity_pools:
            raise ResourceNotFoundError(pool_id)
        for kind, arn in roles.items():
            if kind not in ("authenticated", "unauthenticated"):
                raise InvalidParameterException(f"invalid role type: {kind}")
            if not isinstance(arn, str) or not ROLE_ARN.match(arn):
                raise InvalidParameterException(f"invalid role ARN: {arn}")
        pool_roles(self.backend)[pool_id] = {"Roles": roles, "RoleMappings": mappings}
        return ""

    def get_identity_pool_roles(self):
        pool_id = self._get_param("IdentityPoolId")
        if pool_id not in self.backend.identity_pools:
            raise ResourceNotFoundError(pool_id)
        stored = pool_roles(self.backend).get(pool_id, {"Roles": {}, "RoleMappings": {}})
        answer = {"IdentityPoolId": pool_id, "Roles": stored["Roles"]}
        if stored["RoleMappings"]:
            answer["RoleMappings"] = stored["RoleMappings"]
        return json.dumps(answer)

    responses.CognitoIdentityResponse.set_identity_pool_roles = set_identity_pool_roles
    responses.CognitoIdentityResponse.get_identity_pool_roles = get_identity_pool_roles

    # AllowClassicFlow: remember what the caller sent and report it back.
    original_create = responses.CognitoIdentityResponse.create_identity_pool
    original_update = responses.CognitoIdentityResponse.update_identity_pool

    def remember_classic_flow(self, answer):
        pool_id = json.loads(answer)["IdentityPoolId"]
        pool = self.backend.identity_pools[pool_id]
        pool.allow_classic_flow = bool(self._get_param("AllowClassicFlow") or False)
        return pool.to_json()

    def create_identity_pool(self):
        return remember_classic_flow(self, original_create(self))

    def update_identity_pool(self):
        return remember_classic_flow(self, original_update(self))

    responses.CognitoIdentityResponse.create_identity_pool = create_identity_pool
    responses.CognitoIdentityResponse.update_identity_pool = update_identity_pool

    original_to_json = models.CognitoIdentityPool.to_json

    def to_json(self):
        answer = json.loads(original_to_json(self))
        answer["AllowClassicFlow"] = getattr(self, "allow_classic_flow", False)
        return json.dumps(answer)

    models.CognitoIdentityPool.to_json = to_json


CALLS = {}
CALLS_LOCK = threading.Lock()


def install_cognito_idp_extensions():
    from moto.cognitoidp import models, responses
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.core.responses import EmptyResult

    original_initiate_auth = responses.CognitoIdpResponse.initiate_auth

    def initiate_auth(self):
        key = (self._get_param("ClientId") or "", self._get_param("AuthFlow") or "")
        with CALLS_LOCK:
            CALLS[key] = CALLS.get(key, 0) + 1
        return original_initiate_auth(self)

    responses.CognitoIdpResponse.initiate_auth = initiate_auth

    def revoke_token(self):
        token = self._get_param("Token")
        client_id = self._get_param("ClientId")
        client_secret = self._get_param("ClientSecret")
        backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
        for pool in backend.user_pools.values():
            client = pool.clients.get(client_id)
            if client is None:
                continue
            if client.generate_secret and client_secret != client.secret:
                raise NotAuthorizedError("Client secret is wrong or missing")
            entry = pool.refresh_tokens.get(token)
            if entry is not None and entry[0] != client_id:
                raise NotAuthorizedError("Token was not issued to this client")
            if token in pool.refresh_tokens:
                pool.refresh_tokens[token] = None
            return EmptyResult()
        raise NotAuthorizedError("Invalid client id")

    responses.CognitoIdpResponse.revoke_token = revoke_token


def install_lambda_forwarding():
    import urllib.request

    from moto.awslambda_simple import models

    original_invoke = models.LambdaSimpleBackend.invoke

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        # Like real Lambda (and unlike moto's simple backend), a missing function is an error
        # (ResourceNotFoundException), not a success that consumes a queued result.
        function = self.get_function(function_name, qualifier)
        url = (function.environment_vars or {}).get("COGAUTH_TEST_FORWARD_URL")
        if not url:
            return original_invoke(self, function_name, qualifier, body, headers, response_headers)
        data = body.encode() if isinstance(body, str) else (body or b"{}")
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read()

    models.LambdaSimpleBackend.invoke = invoke


def with_test_routes(app):
    def wrapped(environ, start_response):
        if environ.get("PATH_INFO") == "/cogauth-test/calls":
            with CALLS_LOCK:
                body = [
                    {"client_id": c, "auth_flow": f, "count": n} for (c, f), n in sorted(CALLS.items())
                ]
            data = json.dumps({"InitiateAuth": body}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        return app(environ, start_response)

    return wrapped


def watch_parent(pid):
    # A test binary cannot run destructors for statics, so the server watches the process
    # that owns it and leaves when that process is gone: no orphan servers.
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        time.sleep(0.3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    install_extensions()
    install_cognito_idp_extensions()
    install_lambda_forwarding()

    app = with_test_routes(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    os.environ["MOTO_PORT"] = str(port)

    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()

    print(f"COGAUTH_EMULATOR_READY {port}", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
