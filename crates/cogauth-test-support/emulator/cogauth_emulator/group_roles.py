"""Group-role claims: `cognito:groups`, `cognito:roles` and `cognito:preferred_role`.

moto 5.2.5 puts `cognito:groups` (in no particular order) into ID and access tokens and nothing
else, although it stores each group's RoleArn and Precedence. Cognito builds the claims from the
user's groups (developer guide, "Adding groups to a user pool" and "Role-based access control";
CreateGroup's `Precedence`):

- ID token: `cognito:groups` (every group of the user), `cognito:roles` (the role ARNs of those
  groups, when at least one group has a role) and `cognito:preferred_role`.
- Access token: `cognito:groups` only.
- `cognito:preferred_role`: with a single distinct role, that role. Otherwise the role of the
  group with the lowest Precedence; a null Precedence ranks after every number. When the
  best-ranked groups tie on Precedence, their role is used if they all have the same one, and
  the claim is left out if their roles differ. Groups without a role do not take part.

The harness hooks `CognitoIdpUserPool.create_jwt`, the one function every way moto mints a
token goes through (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, REFRESH_TOKEN_AUTH,
and whatever other modules mint with `create_id_token` / `create_access_token` / `create_jwt`).
Code that builds tokens some other way calls `claims_for(pool, username, token_use)`.

The order of `cognito:groups` and `cognito:roles` is not documented by AWS. The harness lists
groups by Precedence (null last), then by name, so tests see a stable order; cogauth must not
depend on it (it reads `cognito:preferred_role` for the default).
"""

PREFERRED = "cognito:preferred_role"
ROLES = "cognito:roles"
GROUPS = "cognito:groups"


def _rank(group):
    # Lower Precedence wins; None ranks after every number.
    return (group.precedence is None, group.precedence or 0, group.group_name)


def ordered_groups(user):
    return sorted(user.groups, key=_rank)


def preferred_role(groups):
    """The `cognito:preferred_role` for these groups, or None when Cognito would leave it out."""
    with_role = [g for g in groups if g.role_arn]
    if not with_role:
        return None
    distinct = {g.role_arn for g in with_role}
    if len(distinct) == 1:
        return next(iter(distinct))
    best = min(with_role, key=_rank)
    tied = {g.role_arn for g in with_role if g.precedence == best.precedence}
    return next(iter(tied)) if len(tied) == 1 else None


def claims_for(pool, username, token_use):
    """The group claims Cognito puts into a token of `token_use` ("id" or "access")."""
    user = pool._get_user(username)
    groups = ordered_groups(user)
    if not groups:
        return {}
    claims = {GROUPS: [g.group_name for g in groups]}
    if token_use != "id":
        return claims
    roles = []
    for group in groups:
        if group.role_arn and group.role_arn not in roles:
            roles.append(group.role_arn)
    if roles:
        claims[ROLES] = roles
    preferred = preferred_role(groups)
    if preferred:
        claims[PREFERRED] = preferred
    return claims


def install():
    from moto.cognitoidp import models

    original_create_jwt = models.CognitoIdpUserPool.create_jwt

    def create_jwt(self, client_id, username, token_use, expires_in=60 * 60, extra_data=None):
        extra = dict(extra_data or {})
        if token_use in ("id", "access"):
            computed = claims_for(self, username, token_use)
            for key, value in computed.items():
                given = extra.get(key)
                # A caller's own value wins (e.g. a pre-token-generation override), except
                # moto's unordered copy of the same group list, which gets Cognito's order.
                if given is None or (key == GROUPS and sorted(given) == sorted(value)):
                    extra[key] = value
        return original_create_jwt(self, client_id, username, token_use, expires_in, extra)

    models.CognitoIdpUserPool.create_jwt = create_jwt
