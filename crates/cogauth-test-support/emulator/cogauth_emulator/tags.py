"""Tagging for the Cognito resources cogadmin creates, where moto 5.2.5 falls short of AWS.

- cognito-idp: TagResource / UntagResource / ListTagsForResource on a user pool ARN answer HTTP
  500 in moto, and UpdateUserPool drops the pool's tags (moto keeps `UserPoolTags` among the
  pool's settings, which UpdateUserPool replaces). Here the tags live beside the settings:
  CreateUserPool's `UserPoolTags` sets them, UpdateUserPool replaces them only when it carries
  `UserPoolTags`, and DescribeUserPool reports them.
- cognito-identity: TagResource / UntagResource / ListTagsForResource on an identity pool ARN
  answer HTTP 500 in moto; CreateIdentityPool's `IdentityPoolTags` already work.

The checks are those of the two API references: ARN 20 to 2048 characters naming a pool of the
service (else InvalidParameterException), the pool must exist (else ResourceNotFoundException),
at most 50 tags per resource, keys 1 to 128 and values 0 to 256 characters of letters, digits,
spaces and `_.:/=+-@`, and no `aws:` prefix (reserved for AWS). IAM, Secrets Manager and Lambda
tagging already work in moto (docs/emulator.md has the survey).
"""

import json
import re

from moto.cognitoidp.exceptions import ResourceNotFoundError

from .errors import InvalidParameterException

MAX_TAGS = 50
USER_POOL_ARN = re.compile(
    r"^arn:(aws[a-z-]*):cognito-idp:([a-z0-9-]+):(\d{12}):userpool/([\w-]+_[0-9a-zA-Z]+)$"
)
IDENTITY_POOL_ARN = re.compile(
    r"^arn:(aws[a-z-]*):cognito-identity:([a-z0-9-]+):(\d{12}):identitypool/([\w-]+:[0-9a-f-]+)$"
)
TAG_PUNCTUATION = set("_.:/=+-@")


def _tag_text_ok(text):
    return all(c.isalnum() or c.isspace() or c in TAG_PUNCTUATION for c in text)


def validate_tags(tags, what="Tags"):
    if not isinstance(tags, dict):
        raise InvalidParameterException(f"{what} must be a map of tag keys to values")
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(
            f"{what}: at most {MAX_TAGS} tags per resource, got {len(tags)}"
        )
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not _tag_text_ok(key):
            raise InvalidParameterException(
                f"{what}: tag key {key!r} must be 1 to 128 letters, digits, spaces or _.:/=+-@"
            )
        if not isinstance(value, str) or len(value) > 256 or not _tag_text_ok(value):
            raise InvalidParameterException(
                f"{what}: the value of tag {key!r} must be at most 256 letters, digits, spaces "
                "or _.:/=+-@"
            )
        if key.lower().startswith("aws:"):
            raise InvalidParameterException(
                f"{what}: tag key {key!r} uses the prefix aws:, reserved for AWS"
            )


def _tag_keys(keys):
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InvalidParameterException("TagKeys must be a list of tag keys")
    return keys


def _resource_arn(arn, pattern, kind):
    if not isinstance(arn, str) or not 20 <= len(arn) <= 2048:
        raise InvalidParameterException("ResourceArn must be 20 to 2048 characters")
    match = pattern.match(arn)
    if not match:
        raise InvalidParameterException(f"ResourceArn {arn} is not the ARN of {kind}")
    return match


def user_pool_for(arn):
    from moto.cognitoidp.models import cognitoidp_backends

    _, region, account, pool_id = _resource_arn(arn, USER_POOL_ARN, "a user pool").groups()
    pool = cognitoidp_backends[account][region].user_pools.get(pool_id)
    if pool is None or pool.arn != arn:
        raise ResourceNotFoundError(f"User pool {pool_id} does not exist.")
    return pool


def identity_pool_for(arn):
    from moto.cognitoidentity.models import cognitoidentity_backends

    _, region, account, pool_id = _resource_arn(arn, IDENTITY_POOL_ARN, "an identity pool").groups()
    pool = cognitoidentity_backends[account][region].identity_pools.get(pool_id)
    if pool is None:
        raise ResourceNotFoundError(pool_id)
    return pool


def _merged(current, added):
    validate_tags(added)
    merged = dict(current)
    merged.update(added)
    validate_tags(merged)
    return merged


def user_pool_tags(pool):
    if not hasattr(pool, "cogauth_tags"):
        pool.cogauth_tags = {}
    return pool.cogauth_tags


def install_user_pools():
    from moto.cognitoidp import models, responses

    original_update = models.CognitoIdpUserPool.update_extended_config
    original_to_json = models.CognitoIdpUserPool.to_json

    def update_extended_config(self, extended_config):
        config = dict(extended_config or {})
        tags = config.pop("UserPoolTags", None)
        if tags is not None:
            validate_tags(tags, "UserPoolTags")
        original_update(self, config)
        if tags is not None:
            self.cogauth_tags = dict(tags)
        user_pool_tags(self)

    def to_json(self, extended=False):
        answer = original_to_json(self, extended)
        if extended and user_pool_tags(self):
            answer["UserPoolTags"] = dict(user_pool_tags(self))
        return answer

    def tag_resource(self):
        pool = user_pool_for(self._get_param("ResourceArn"))
        pool.cogauth_tags = _merged(user_pool_tags(pool), self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self):
        pool = user_pool_for(self._get_param("ResourceArn"))
        for key in _tag_keys(self._get_param("TagKeys") or []):
            user_pool_tags(pool).pop(key, None)
        return "{}"

    def list_tags_for_resource(self):
        pool = user_pool_for(self._get_param("ResourceArn"))
        return json.dumps({"Tags": dict(user_pool_tags(pool))})

    models.CognitoIdpUserPool.update_extended_config = update_extended_config
    models.CognitoIdpUserPool.to_json = to_json
    responses.CognitoIdpResponse.tag_resource = tag_resource
    responses.CognitoIdpResponse.untag_resource = untag_resource
    responses.CognitoIdpResponse.list_tags_for_resource = list_tags_for_resource


def install_identity_pools():
    from moto.cognitoidentity import responses

    def tag_resource(self):
        pool = identity_pool_for(self._get_param("ResourceArn"))
        pool.tags = _merged(pool.tags or {}, self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self):
        pool = identity_pool_for(self._get_param("ResourceArn"))
        keys = self._get_param("TagKeys")
        if keys is None:
            raise InvalidParameterException("UntagResource needs TagKeys")
        pool.tags = {k: v for k, v in (pool.tags or {}).items() if k not in _tag_keys(keys)}
        return "{}"

    def list_tags_for_resource(self):
        pool = identity_pool_for(self._get_param("ResourceArn"))
        return json.dumps({"Tags": dict(pool.tags or {})})

    responses.CognitoIdentityResponse.tag_resource = tag_resource
    responses.CognitoIdentityResponse.untag_resource = untag_resource
    responses.CognitoIdentityResponse.list_tags_for_resource = list_tags_for_resource


def install():
    install_user_pools()
    install_identity_pools()
