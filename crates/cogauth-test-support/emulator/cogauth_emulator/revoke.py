"""cognito-idp RevokeToken: moto answers HTTP 500.

`cogauth logout` revokes the refresh token; the token is invalidated the way moto's own
sign-out does it, so a later refresh fails. As on AWS, the access and ID tokens issued from
that refresh token (the same `origin_jti`) are revoked with it, so `GetUser` with them fails
with `NotAuthorizedException`; tokens of the user's other sessions keep working. The
credential proxy relies on that to refuse a revoked session.
"""

import base64
import json


def origin_jti(token):
    """The `origin_jti` claim of a JWT moto issued, or None. The token was minted by moto
    itself and is looked up in moto's own tables, so its signature needs no check here."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload)).get("origin_jti")
    except (IndexError, ValueError, AttributeError):
        return None


def revoke_family(pool, jti):
    """Drops every access and ID token of `pool` issued from the refresh token `jti` names."""
    for table in (pool.access_tokens, pool.id_tokens):
        for token in [t for t in table if origin_jti(t) == jti]:
            table.pop(token, None)


def install():
    from moto.cognitoidp import responses
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.core.responses import EmptyResult

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
            if entry is not None:
                revoke_family(pool, entry[2])
            if token in pool.refresh_tokens:
                pool.refresh_tokens[token] = None
            return EmptyResult()
        raise NotAuthorizedError("Invalid client id")

    responses.CognitoIdpResponse.revoke_token = revoke_token
