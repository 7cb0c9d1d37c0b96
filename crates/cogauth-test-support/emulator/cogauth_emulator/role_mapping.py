"""cognito-identity GetCredentialsForIdentity with the identity pool's RoleMappings.

moto 5.2.5 answers every GetCredentialsForIdentity with the same fixed keys and checks nothing.
This module (AWS developer guide, "Role-based access control"; API reference,
GetCredentialsForIdentity and RoleMapping) makes it:

1. Verify each user-pool login (`cognito-idp.<region>.amazonaws.com/<pool>` in `Logins`) when
   the identity is one moto issued: RS256 signature against moto's user-pool key (the JWKS at
   `/<pool>/.well-known/jwks.json`), `iss` equal to the provider, `token_use` = `id`, `exp` in
   the future, and `aud` one of the identity pool's `CognitoIdentityProviders` clients for that
   provider. A failure is NotAuthorizedException, as on AWS.
2. Choose the role from the RoleMapping stored (by `identity_roles`) under the key
   `cognito-idp.<region>.amazonaws.com/<pool>:<client>`:
   - Type `Token`: `CustomRoleArn` if it is in the token's `cognito:roles` (else
     NotAuthorizedException: AWS "denies access"), else `cognito:preferred_role`, else
     `AmbiguousRoleResolution`.
   - Type `Rules`: the first rule whose claim matches (`Equals`, `Contains`, `StartsWith`,
     `NotEqual`; NotEqual on a missing claim does not match); `CustomRoleArn` must be the role of
     a matching rule. No match: `AmbiguousRoleResolution`.
   - `AmbiguousRoleResolution`: `AuthenticatedRole` (the pool's authenticated role) or `Deny`
     (NotAuthorizedException "The ambiguous role mapping rules for: <provider> denied this
     request.", AWS's message).
3. Check that the role exists and that its trust policy lets `cognito-identity.amazonaws.com`
   call `sts:AssumeRoleWithWebIdentity` under the conditions AWS evaluates (`aud` = the identity
   pool id, `amr` containing `authenticated`); otherwise InvalidIdentityPoolConfigurationException,
   with AWS's message.
4. Issue the credentials through moto's STS as an assumed-role session named
   `CognitoIdentityCredentials` (AWS's session name for this flow), so GetCallerIdentity with them
   answers `arn:aws:sts::<account>:assumed-role/<role>/CognitoIdentityCredentials`. They expire in
   90 s, like moto's own answer (the refresh tests rely on it; moto's STS enforces no duration).
   A test that must outlive several expiries may shorten them for one identity pool with the
   harness's own tag `cogauth-emulator:credential-seconds` (an integer from 15 to 3600; not an
   AWS feature, which always issues 1 h credentials): waiting for 90 s expiries made CI slower.

What stays as moto had it: an identity moto never issued, a request without a user-pool login,
and a provider with no role mapping get moto's fixed answer (`TESTACCESSKEY12345`, 90 s), with
the token still verified in the last two cases. `CustomRoleArn` without a role mapping is ignored.
GetId still accepts any token.

SetIdentityPoolRoles is wrapped to refuse malformed RoleMappings (InvalidParameterException), so
this module must be installed after `identity_roles`.
"""

import calendar
import json
import re
import time
import urllib.parse

from moto.core.exceptions import JsonRESTError

from . import identity_roles
from .errors import InvalidParameterException

PROVIDER = re.compile(r"^cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9a-zA-Z]+)$")
SESSION_NAME = "CognitoIdentityCredentials"
DURATION_SECONDS = 90
DURATION_TAG = "cogauth-emulator:credential-seconds"
MATCH_TYPES = ("Equals", "Contains", "StartsWith", "NotEqual")


class NotAuthorized(JsonRESTError):
    def __init__(self, message):
        super().__init__("NotAuthorizedException", message)


class InvalidPoolConfiguration(JsonRESTError):
    def __init__(self):
        super().__init__(
            "InvalidIdentityPoolConfigurationException",
            "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
        )


# --- the token -----------------------------------------------------------------------------

_KEYS = None


def _public_keys():
    global _KEYS
    if _KEYS is None:
        from joserfc import jwk
        from moto.utilities.utils import load_resource

        _KEYS = jwk.KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))
    return _KEYS


def verify_login(provider, token, identity_pool):
    """The claims of a user-pool ID token given in Logins, checked as AWS checks them."""
    from joserfc import jwt
    from joserfc.errors import JoseError

    try:
        claims = jwt.decode(token, _public_keys(), algorithms=["RS256"]).claims
    except (JoseError, ValueError, TypeError):
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
    if claims.get("iss") != f"https://{provider}":
        raise NotAuthorized("Invalid login token. Issuer doesn't match providerName")
    if "aud" not in claims:
        raise NotAuthorized("Invalid login token. Missing a required claim: aud")
    if claims.get("token_use") != "id":
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
    now = int(time.time())
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= now:
        raise NotAuthorized(f"Invalid login token. Token expired: {now} >= {exp}")
    clients = {
        p.get("ClientId")
        for p in identity_pool.cognito_identity_providers or []
        if p.get("ProviderName") == provider
    }
    if claims["aud"] not in clients:
        raise NotAuthorized("Token is not from a supported provider of this identity pool.")
    return claims


# --- choosing the role ---------------------------------------------------------------------


def _values(claim):
    if claim is None:
        return None
    items = claim if isinstance(claim, list) else [claim]
    return [v if isinstance(v, str) else json.dumps(v) for v in items]


def rule_matches(rule, claims):
    values = _values(claims.get(rule.get("Claim")))
    if values is None:
        return False
    want = rule.get("Value", "")
    kind = rule.get("MatchType")
    if kind == "Equals":
        return want in values
    if kind == "Contains":
        return any(want in v for v in values)
    if kind == "StartsWith":
        return any(v.startswith(want) for v in values)
    if kind == "NotEqual":
        return want not in values
    return False


def _token_roles(claims):
    roles = claims.get("cognito:roles") or []
    if isinstance(roles, str):
        # The developer guide calls it "a comma-separated string"; tokens carry an array.
        roles = [r.strip() for r in roles.split(",") if r.strip()]
    return roles


def choose_role(mapping, claims, custom_role_arn, key, authenticated_role):
    """The role ARN this mapping gives, or an AWS-shaped error."""
    if mapping.get("Type") == "Rules":
        rules = (mapping.get("RulesConfiguration") or {}).get("Rules") or []
        matching = [r["RoleARN"] for r in rules if rule_matches(r, claims)]
        if custom_role_arn:
            if custom_role_arn in matching:
                return custom_role_arn
            raise NotAuthorized(
                f"The role {custom_role_arn} is not the role of a rule that matches the token "
                f"for: {key}"
            )
        if matching:
            return matching[0]
    else:
        roles = _token_roles(claims)
        if custom_role_arn:
            if custom_role_arn in roles:
                return custom_role_arn
            raise NotAuthorized(
                f"The role {custom_role_arn} is not in the cognito:roles claim of the token for: "
                f"{key}"
            )
        if claims.get("cognito:preferred_role"):
            return claims["cognito:preferred_role"]
    if mapping.get("AmbiguousRoleResolution") == "AuthenticatedRole":
        if not authenticated_role:
            raise InvalidPoolConfiguration()
        return authenticated_role
    raise NotAuthorized(f"The ambiguous role mapping rules for: {key} denied this request.")


# --- the role's trust policy ---------------------------------------------------------------


def _wildcard(pattern):
    # IAM's StringLike: `*` is any run of characters, `?` any one character.
    parts = [".".join(re.escape(q) for q in p.split("?")) for p in pattern.split("*")]
    return re.compile("^" + ".*".join(parts) + "$", re.S)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _condition_holds(operator, key, expected, context):
    quantifier = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            quantifier, operator = prefix[:-1], operator[len(prefix) :]
    if_exists = operator.endswith("IfExists")
    operator = operator[: -len("IfExists")] if if_exists else operator
    actual = context.get(key.lower())
    if actual is None:
        return if_exists or quantifier == "ForAllValues" or operator.startswith("StringNot")
    tests = {
        "StringEquals": lambda v, e: v == e,
        "StringLike": lambda v, e: bool(_wildcard(e).match(v)),
        "StringNotEquals": lambda v, e: v == e,
        "StringNotLike": lambda v, e: bool(_wildcard(e).match(v)),
    }
    if operator not in tests:
        # An operator the harness does not evaluate never grants access.
        return False
    negated = operator.startswith("StringNot")

    def one(value):
        hit = any(tests[operator](value, str(e)) for e in _as_list(expected))
        return not hit if negated else hit

    values = _as_list(actual)
    return (
        all(one(v) for v in values) if quantifier == "ForAllValues" else any(one(v) for v in values)
    )


def _statement_applies(statement, context):
    principal = statement.get("Principal")
    if principal != "*":
        federated = (
            _as_list((principal or {}).get("Federated", [])) if isinstance(principal, dict) else []
        )
        if "cognito-identity.amazonaws.com" not in federated:
            return False
    actions = _as_list(statement.get("Action", []))
    if not any(_wildcard(a.lower()).match("sts:assumerolewithwebidentity") for a in actions):
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, expected in conditions.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def trusts(role, context):
    document = role.assume_role_policy_document or ""
    try:
        policy = json.loads(document)
    except ValueError:
        try:
            policy = json.loads(urllib.parse.unquote(document))
        except ValueError:
            return False
    statements = _as_list(policy.get("Statement", []))
    applies = [s for s in statements if isinstance(s, dict) and _statement_applies(s, context)]
    if any(s.get("Effect") == "Deny" for s in applies):
        return False
    return any(s.get("Effect") == "Allow" for s in applies)


# --- the credentials -----------------------------------------------------------------------


def _epoch(moment):
    return calendar.timegm(moment.utctimetuple()) if moment.tzinfo is None else moment.timestamp()


def duration_seconds(pool):
    """The credentials' lifetime for `pool`: its DURATION_TAG, else DURATION_SECONDS."""
    value = (getattr(pool, "tags", None) or {}).get(DURATION_TAG)
    if value is None:
        return DURATION_SECONDS
    if not (isinstance(value, str) and value.isdigit() and 15 <= int(value) <= 3600):
        raise InvalidParameterException(
            f"the identity pool's tag {DURATION_TAG} must be a number of seconds from 15 to 3600"
        )
    return int(value)


def issue(account_id, region, role_arn, identity_id, duration=DURATION_SECONDS):
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    role = sts_backends[account_id][get_partition(region)].assume_role(
        region_name=region,
        role_session_name=SESSION_NAME,
        role_arn=role_arn,
        policy=None,
        duration=duration,
        external_id=None,
    )
    return json.dumps(
        {
            "Credentials": {
                "AccessKeyId": role.access_key_id,
                "SecretKey": role.secret_access_key,
                "SessionToken": role.session_token,
                "Expiration": _epoch(role.expiration),
            },
            "IdentityId": identity_id,
        }
    )


def find_role(role_arn, region):
    """The IAM role an ARN names, in the ARN's account, or None."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    match = re.match(r"^arn:[\w-]+:iam::(\d{12}):role/", role_arn or "")
    if not match:
        return None
    try:
        return iam_backends[match.group(1)][get_partition(region)].get_role_by_arn(role_arn)
    except Exception:  # moto's NotFoundException: AWS reports the pool configuration
        return None


def find_identity_pool(account_id, identity_id):
    """(backend, identity pool) for an identity moto issued, else (None, None)."""
    from moto.cognitoidentity.models import cognitoidentity_backends

    region = (identity_id or "").split(":")[0]
    backends = cognitoidentity_backends[account_id]
    # The identity's own region first, then only the backends that already exist.
    candidates = [region] if region in backends else []
    candidates += [r for r in list(backends.keys()) if r != region]
    for name in candidates:
        backend = backends[name]
        for pool_id, entry in backend.pools_identities.items():
            if any(i.get("IdentityId") == identity_id for i in entry.get("Identities", [])):
                pool = backend.identity_pools.get(pool_id)
                if pool is not None:
                    return backend, pool
    return None, None


# --- SetIdentityPoolRoles: refuse what AWS refuses -------------------------------------------


def validate_role_mappings(mappings):
    if not isinstance(mappings, dict):
        raise InvalidParameterException(
            "RoleMappings must be a map of identity provider to RoleMapping"
        )
    if len(mappings) > 10:
        raise InvalidParameterException("RoleMappings can hold at most 10 identity providers")
    for key, mapping in mappings.items():
        where = f"RoleMappings.{key}"
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise InvalidParameterException(
                f"{where}: the identity provider name must be 1 to 128 characters"
            )
        if not isinstance(mapping, dict) or mapping.get("Type") not in ("Token", "Rules"):
            raise InvalidParameterException(f"{where}.Type must be one of [Token, Rules]")
        if mapping.get("AmbiguousRoleResolution") not in ("AuthenticatedRole", "Deny"):
            raise InvalidParameterException(
                f"{where}.AmbiguousRoleResolution is required for {mapping['Type']} and must be "
                "one of [AuthenticatedRole, Deny]"
            )
        if mapping["Type"] != "Rules":
            continue
        rules = (mapping.get("RulesConfiguration") or {}).get("Rules")
        if not isinstance(rules, list) or not 1 <= len(rules) <= 25:
            raise InvalidParameterException(
                f"{where}.RulesConfiguration.Rules must hold 1 to 25 rules"
            )
        for n, rule in enumerate(rules):
            at = f"{where}.RulesConfiguration.Rules[{n}]"
            if not isinstance(rule, dict):
                raise InvalidParameterException(f"{at} must be a MappingRule")
            if not isinstance(rule.get("Claim"), str) or not 1 <= len(rule["Claim"]) <= 64:
                raise InvalidParameterException(f"{at}.Claim must be 1 to 64 characters")
            if rule.get("MatchType") not in MATCH_TYPES:
                raise InvalidParameterException(
                    f"{at}.MatchType must be one of [{', '.join(MATCH_TYPES)}]"
                )
            if not isinstance(rule.get("Value"), str) or not 1 <= len(rule["Value"]) <= 128:
                raise InvalidParameterException(f"{at}.Value must be 1 to 128 characters")
            if not isinstance(rule.get("RoleARN"), str) or not identity_roles.ROLE_ARN.match(
                rule["RoleARN"]
            ):
                raise InvalidParameterException(
                    f"{at}.RoleARN is not a role ARN: {rule.get('RoleARN')}"
                )


# --- wiring --------------------------------------------------------------------------------


def install():
    from moto.cognitoidentity import responses

    original_set_roles = responses.CognitoIdentityResponse.set_identity_pool_roles
    original_get_credentials = responses.CognitoIdentityResponse.get_credentials_for_identity

    def set_identity_pool_roles(self):
        validate_role_mappings(self._get_param("RoleMappings") or {})
        return original_set_roles(self)

    def get_credentials_for_identity(self):
        identity_id = self._get_param("IdentityId")
        logins = self._get_param("Logins") or {}
        custom_role_arn = self._get_param("CustomRoleArn")
        if custom_role_arn is not None and not (
            isinstance(custom_role_arn, str) and 20 <= len(custom_role_arn) <= 2048
        ):
            raise InvalidParameterException("CustomRoleArn must be 20 to 2048 characters")
        backend, pool = find_identity_pool(self.current_account, identity_id)
        user_pool_logins = sorted(
            (k, v) for k, v in logins.items() if isinstance(k, str) and PROVIDER.match(k)
        )
        if pool is None or not user_pool_logins:
            return original_get_credentials(self)
        verified = [(p, verify_login(p, t, pool)) for p, t in user_pool_logins]
        stored = identity_roles.pool_roles(backend).get(pool.identity_pool_id, {})
        mappings = stored.get("RoleMappings") or {}
        for provider, claims in verified:
            key = f"{provider}:{claims['aud']}"
            if key not in mappings:
                continue
            role_arn = choose_role(
                mappings[key],
                claims,
                custom_role_arn,
                key,
                stored.get("Roles", {}).get("authenticated"),
            )
            context = {
                "cognito-identity.amazonaws.com:aud": pool.identity_pool_id,
                "cognito-identity.amazonaws.com:sub": identity_id,
                "cognito-identity.amazonaws.com:amr": [
                    "authenticated",
                    provider,
                    f"{provider}:CognitoSignIn:{claims.get('sub')}",
                ],
            }
            region = backend.region_name
            role = find_role(role_arn, region)
            if role is None or not trusts(role, context):
                raise InvalidPoolConfiguration()
            return issue(
                self.current_account, region, role_arn, identity_id, duration_seconds(pool)
            )
        return original_get_credentials(self)

    responses.CognitoIdentityResponse.set_identity_pool_roles = set_identity_pool_roles
    responses.CognitoIdentityResponse.get_credentials_for_identity = get_credentials_for_identity
