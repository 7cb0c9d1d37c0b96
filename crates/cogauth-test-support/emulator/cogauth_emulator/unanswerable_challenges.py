"""Challenges a terminal cannot answer (WEB_AUTHN and the like): moto 5.2.5 has no passkeys
and no choice-based sign-in, so it never asks for one.

    POST   /cogauth-test/challenge?client_id=C&username=U&challenge=WEB_AUTHN
    DELETE /cogauth-test/challenge?client_id=C&username=U

makes the sign-ins of U through app client C end with that challenge instead of tokens:
InitiateAuth (USER_PASSWORD_AUTH) and RespondToAuthChallenge (PASSWORD_VERIFIER, the end of
USER_SRP_AUTH) answer `ChallengeName`, a `Session` and empty `ChallengeParameters`, the way
Cognito asks a user with a passkey. Answering that challenge is refused (moto cannot check a
passkey). Sign-ins through managed login are not affected. cogauth's test proves that such a
terminal login is offered to finish in the browser.
"""

import secrets
import threading
import urllib.parse

from . import routes

MARKS = {}  # (client_id, username) -> challenge name
LOCK = threading.Lock()


def challenge_app(environ, start_response):
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    client_id = (query.get("client_id") or [""])[0]
    username = (query.get("username") or [""])[0]
    if not client_id or not username:
        return routes.json_response(start_response, {"error": "client_id and username are required"}, "400 Bad Request")
    with LOCK:
        if environ.get("REQUEST_METHOD") == "DELETE":
            MARKS.pop((client_id, username), None)
        else:
            MARKS[(client_id, username)] = (query.get("challenge") or ["WEB_AUTHN"])[0]
        marks = [{"client_id": c, "username": u, "challenge": n} for (c, u), n in sorted(MARKS.items())]
    return routes.json_response(start_response, {"marks": marks})


def marked(client_id, username):
    with LOCK:
        return MARKS.get((client_id, username or ""))


def challenge_instead(result, client_id, username):
    """`result` with its tokens replaced by the marked challenge, when there is one."""
    name = marked(client_id, username)
    if name is None or not isinstance(result, dict) or "AuthenticationResult" not in result:
        return result
    return {"ChallengeName": name, "Session": secrets.token_urlsafe(32), "ChallengeParameters": {}}


def install():
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    original_initiate = CognitoIdpBackend.initiate_auth
    original_respond = CognitoIdpBackend.respond_to_auth_challenge

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        result = original_initiate(self, client_id, auth_flow, auth_parameters)
        return challenge_instead(result, client_id, (auth_parameters or {}).get("USERNAME"))

    def respond_to_auth_challenge(self, session, client_id, challenge_name, challenge_responses):
        username = (challenge_responses or {}).get("USERNAME")
        if marked(client_id, username) == challenge_name:
            raise NotAuthorizedError(f"{challenge_name} cannot be answered on the emulator")
        result = original_respond(self, session, client_id, challenge_name, challenge_responses)
        return challenge_instead(result, client_id, username)

    CognitoIdpBackend.initiate_auth = initiate_auth
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge
    routes.register("/cogauth-test/challenge", challenge_app)
