"""Self-test of unanswerable_challenges.py: a marked user's terminal sign-ins end with the
challenge, answering it is refused, other users and the unmarked state are untouched.

Usage: python selftest_challenges.py [URL]   (URL defaults to $COGAUTH_EMULATOR_URL)

Runs against a launcher that is already serving, with the emulator venv's python (boto3).
Prints one line per check and exits non-zero if any check fails.
"""

import json
import os
import sys
import urllib.parse
import urllib.request
import uuid

import boto3
from botocore.exceptions import ClientError

REGION = "us-east-1"
PASSWORD = "Correct-Horse-9!"
FAILURES = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    if not condition:
        FAILURES.append(name)


def route(endpoint, method, **params):
    url = endpoint + "/cogauth-test/challenge?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def main():
    endpoint = (sys.argv[1] if len(sys.argv) > 1 else os.environ["COGAUTH_EMULATOR_URL"]).rstrip("/")
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    pool = idp.create_user_pool(PoolName=f"challenges-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="c",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for user in ("marked", "other"):
        idp.admin_create_user(UserPoolId=pool, Username=user, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool, Username=user, Password=PASSWORD, Permanent=True)

    def sign_in(user):
        return idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
        )

    marks = route(endpoint, "POST", client_id=client, username="marked", challenge="WEB_AUTHN")
    check("the route records the mark", marks["marks"][-1]["challenge"] == "WEB_AUTHN", marks)
    answer = sign_in("marked")
    check(
        "a marked user's sign-in ends with the challenge",
        answer.get("ChallengeName") == "WEB_AUTHN" and answer.get("Session")
        and "AuthenticationResult" not in answer,
        answer,
    )
    try:
        idp.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="WEB_AUTHN",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": "marked", "CREDENTIAL": "{}"},
        )
        refused = None
    except ClientError as e:
        refused = e.response["Error"]["Code"]
    check("answering it is refused", refused == "NotAuthorizedException", refused)
    check("other users get tokens", "AuthenticationResult" in sign_in("other"))
    try:
        idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "marked", "PASSWORD": "wrong-password"},
        )
        wrong = None
    except ClientError as e:
        wrong = e.response["Error"]["Code"]
    check("a wrong password is still refused first", wrong == "NotAuthorizedException", wrong)
    route(endpoint, "DELETE", client_id=client, username="marked")
    check("DELETE clears the mark", "AuthenticationResult" in sign_in("marked"))
    print(f"{len(FAILURES)} failed" if FAILURES else "all passed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
