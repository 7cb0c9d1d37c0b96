"""GET /cogauth-test/calls: how many InitiateAuth calls each app client made, per AuthFlow, and
how many GetTokensFromRefreshToken calls (the refresh of rotating clients).

The single-flight test proves that N concurrent credential-process calls cause exactly one
refresh *at the server*.
"""

import threading

from . import routes

CALLS = {}
REFRESHES = {}
CALLS_LOCK = threading.Lock()


def count(client_id, auth_flow):
    with CALLS_LOCK:
        key = (client_id or "", auth_flow or "")
        CALLS[key] = CALLS.get(key, 0) + 1


def calls_app(environ, start_response):
    with CALLS_LOCK:
        body = [{"client_id": c, "auth_flow": f, "count": n} for (c, f), n in sorted(CALLS.items())]
        refreshes = [{"client_id": c, "count": n} for c, n in sorted(REFRESHES.items())]
    answer = {"InitiateAuth": body, "GetTokensFromRefreshToken": refreshes}
    return routes.json_response(start_response, answer)


def install():
    from moto.cognitoidp import responses

    original_initiate_auth = responses.CognitoIdpResponse.initiate_auth

    def initiate_auth(self):
        count(self._get_param("ClientId"), self._get_param("AuthFlow"))
        return original_initiate_auth(self)

    responses.CognitoIdpResponse.initiate_auth = initiate_auth

    original_get_tokens = responses.CognitoIdpResponse.get_tokens_from_refresh_token

    def get_tokens_from_refresh_token(self):
        with CALLS_LOCK:
            key = self._get_param("ClientId") or ""
            REFRESHES[key] = REFRESHES.get(key, 0) + 1
        return original_get_tokens(self)

    responses.CognitoIdpResponse.get_tokens_from_refresh_token = get_tokens_from_refresh_token
    routes.register("/cogauth-test/calls", calls_app)
