"""cognito-idp RevokeToken: moto answers HTTP 500.

`cogauth logout` revokes the refresh token; the token is invalidated the way moto's own
sign-out does it, so a later refresh fails.
"""


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
            if token in pool.refresh_tokens:
                pool.refresh_tokens[token] = None
            return EmptyResult()
        raise NotAuthorizedError("Invalid client id")

    responses.CognitoIdpResponse.revoke_token = revoke_token
