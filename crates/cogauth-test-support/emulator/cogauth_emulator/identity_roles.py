"""cognito-identity SetIdentityPoolRoles / GetIdentityPoolRoles, and AllowClassicFlow.

- moto 5.2.5 answers HTTP 500 (not implemented) for the roles operations. They are stored per
  pool on the backend, so /moto-api/reset clears them.
- moto drops AllowClassicFlow on Create/UpdateIdentityPool and never returns it from
  DescribeIdentityPool; the basic flow and `cogauth doctor` need it.
"""

import json
import re

from .errors import InvalidParameterException

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def pool_roles(backend):
    # One dict per backend (account, region); reset() builds new backends.
    if not hasattr(backend, "cogauth_pool_roles"):
        backend.cogauth_pool_roles = {}
    return backend.cogauth_pool_roles


def install():
    from moto.cognitoidentity import models, responses
    from moto.cognitoidentity.exceptions import ResourceNotFoundError

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
