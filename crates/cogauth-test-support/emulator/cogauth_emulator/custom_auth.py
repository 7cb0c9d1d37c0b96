"""Custom authentication: CUSTOM_AUTH and CUSTOM_WITH_SRP through the pool's Lambda triggers.

moto 5.2.5 accepts AuthFlow CUSTOM_AUTH and answers `{}`, running no trigger. Here the pool's
LambdaConfig DefineAuthChallenge, CreateAuthChallenge and VerifyAuthChallengeResponse run through
moto's Lambda Invoke (lambda_forward.py sends it to a test's HTTP server when the function's
environment has COGAUTH_TEST_FORWARD_URL), with the event shapes of the Cognito developer guide:
common fields version "1", triggerSource (DefineAuthChallenge_Authentication,
CreateAuthChallenge_Authentication, VerifyAuthChallengeResponse_Authentication), region,
userPoolId, userName, callerContext {awsSdkVersion, clientId}; then
- Define: request {userAttributes, session, clientMetadata, userNotFound};
  response {challengeName, issueTokens, failAuthentication}.
- Create: request {userAttributes, challengeName, session, clientMetadata, userNotFound};
  response {publicChallengeParameters, privateChallengeParameters, challengeMetadata}.
- Verify: request {userAttributes, privateChallengeParameters, challengeAnswer, clientMetadata,
  userNotFound}; response {answerCorrect}.
`session` is the list Cognito builds, oldest first: {challengeName, challengeResult,
challengeMetadata (custom challenges that set it)}, starting with {SRP_A, true} for
CUSTOM_WITH_SRP. clientMetadata is the RespondToAuthChallenge ClientMetadata (InitiateAuth's is
not passed to these triggers, as the API reference says).

The flow:
- InitiateAuth CUSTOM_AUTH (USERNAME, SECRET_HASH; for CUSTOM_WITH_SRP also CHALLENGE_NAME=SRP_A
  and SRP_A). The app client must allow ALLOW_CUSTOM_AUTH (auth_flows.py); a pool without the
  three triggers is InvalidParameterException "Custom auth lambda trigger is not configured for
  the user pool.".
- Define says PASSWORD_VERIFIER (after SRP_A): the PASSWORD_VERIFIER challenge, verified by
  srp_server.py (a wrong password ends the sign-in with NotAuthorizedException); then Define
  again. Define says CUSTOM_CHALLENGE: Create runs, and the CUSTOM_CHALLENGE challenge carries its
  publicChallengeParameters (plus USERNAME). The answer is ChallengeResponses ANSWER; Verify runs,
  its answerCorrect goes into the session list, and Define decides again.
- issueTokens: tokens (after device SRP when a confirmed DEVICE_KEY is presented).
  failAuthentication: NotAuthorizedException "Incorrect username or password.".
- Every answer gets a new Session; an old one is NotAuthorizedException "Invalid session for the
  user, session is expired.". The harness stops a sign-in after 20 challenges (safety cap).
- Trigger failures: a function error (the reply is {"errorMessage": ...}, as Lambda reports an
  unhandled exception) is UserLambdaValidationException "<Trigger> failed with error <message>.";
  a reply without the fields Cognito needs is InvalidLambdaResponseException; a function that
  cannot be invoked (missing, forward server down) is UnexpectedLambdaException.
"""

import json

from . import password_srp, signin

TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")
MAX_CHALLENGES = 20
NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."


def user_attributes(user):
    attributes = signin.attributes(user)
    attributes.setdefault("sub", user.id)
    attributes["cognito:user_status"] = str(getattr(user.status, "value", user.status))
    return attributes


def invoke(request, trigger, user, event_request, event_response):
    from moto.awslambda.utils import get_backend

    arn = (request.pool.extended_config.get("LambdaConfig") or {}).get(trigger)
    if not arn:
        raise signin.invalid_parameter(NOT_CONFIGURED)
    event = {
        "version": "1",
        "triggerSource": f"{trigger}_Authentication",
        "region": request.pool.region,
        "userPoolId": request.pool.id,
        "userName": user.username,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": request.client.id,
        },
        "request": event_request,
        "response": event_response,
    }
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        raise signin.CognitoError(
            "UnexpectedLambdaException", f"{trigger}: {arn} is not a Lambda ARN"
        )
    try:
        backend = get_backend(parts[4], parts[3])
        reply = backend.invoke(arn, None, json.dumps(event), {}, {})
    except Exception as e:  # noqa: BLE001 - any failure to run the function is Cognito's
        raise signin.CognitoError(
            "UnexpectedLambdaException", f"{trigger} invocation failed: {type(e).__name__}: {e}"
        ) from None
    try:
        data = json.loads(reply.decode() if isinstance(reply, bytes) else reply)
    except (TypeError, ValueError):
        data = None
    if isinstance(data, dict) and "errorMessage" in data and "response" not in data:
        raise signin.CognitoError(
            "UserLambdaValidationException", f"{trigger} failed with error {data['errorMessage']}."
        )
    if not isinstance(data, dict) or not isinstance(data.get("response"), dict):
        raise signin.CognitoError(
            "InvalidLambdaResponseException", f"Invalid lambda response from {trigger}"
        )
    return data["response"]


def define(request, user, state):
    if len(state["session"]) > MAX_CHALLENGES:
        raise signin.not_authorized()
    metadata = request.client_metadata if request.operation == "RespondToAuthChallenge" else {}
    answer = invoke(
        request,
        "DefineAuthChallenge",
        user,
        {
            "userAttributes": user_attributes(user),
            "session": state["session"],
            "clientMetadata": metadata,
            "userNotFound": False,
        },
        {"challengeName": None, "issueTokens": None, "failAuthentication": None},
    )
    if answer.get("failAuthentication"):
        raise signin.not_authorized()
    if answer.get("issueTokens"):
        return signin.after_first_factor(
            request, user, device_key=request.device_key or state["device_key"], moto_next=False
        )
    name = answer.get("challengeName")
    if name == "PASSWORD_VERIFIER":
        last = state["session"][-1]["challengeName"] if state["session"] else None
        if last != "SRP_A" or not state.get("srp_a"):
            raise signin.CognitoError(
                "InvalidLambdaResponseException",
                "DefineAuthChallenge asked for PASSWORD_VERIFIER without SRP_A before it",
            )

        def verified(answering, user):
            state["session"].append({"challengeName": "PASSWORD_VERIFIER", "challengeResult": True})
            return define(answering, user, state)

        return password_srp.start(request, user, state.pop("srp_a"), verified, with_session=True)
    if name == "CUSTOM_CHALLENGE":
        created = invoke(
            request,
            "CreateAuthChallenge",
            user,
            {
                "userAttributes": user_attributes(user),
                "challengeName": name,
                "session": state["session"],
                "clientMetadata": metadata,
                "userNotFound": False,
            },
            {
                "publicChallengeParameters": None,
                "privateChallengeParameters": None,
                "challengeMetadata": None,
            },
        )
        public = created.get("publicChallengeParameters") or {}
        if not isinstance(public, dict):
            raise signin.CognitoError(
                "InvalidLambdaResponseException",
                "CreateAuthChallenge publicChallengeParameters must be a map",
            )
        session = signin.new_session(
            request,
            "CUSTOM_CHALLENGE",
            user.username,
            state=state,
            private=created.get("privateChallengeParameters") or {},
            metadata=created.get("challengeMetadata"),
        )
        parameters = {k: str(v) for k, v in public.items()}
        return signin.challenge(session, "CUSTOM_CHALLENGE", parameters, username=user.username)
    raise signin.CognitoError(
        "InvalidLambdaResponseException",
        "DefineAuthChallenge must set issueTokens, failAuthentication or a challengeName of "
        f"CUSTOM_CHALLENGE or PASSWORD_VERIFIER (got {name!r})",
    )


def initiate(request):
    username = request.params.get("USERNAME")
    signin.check_secret_hash(request, username)
    config = request.pool.extended_config.get("LambdaConfig") or {}
    if not all(config.get(t) for t in TRIGGERS):
        raise signin.invalid_parameter(NOT_CONFIGURED)
    user = signin.get_user(request, username)
    signin.check_user_can_sign_in(user)
    state = {"session": [], "device_key": request.device_key}
    if request.params.get("CHALLENGE_NAME") == "SRP_A":
        if not request.params.get("SRP_A"):
            raise signin.invalid_parameter("Missing required parameter SRP_A")
        state["srp_a"] = request.params["SRP_A"]
        state["session"].append({"challengeName": "SRP_A", "challengeResult": True})
    return define(request, user, state)


def respond(request):
    session = signin.find_session(request, ("CUSTOM_CHALLENGE",))
    user = password_srp.same_user(request, session)
    if "ANSWER" not in request.params:
        raise signin.invalid_parameter("Missing required parameter ANSWER")
    verdict = invoke(
        request,
        "VerifyAuthChallengeResponse",
        user,
        {
            "userAttributes": user_attributes(user),
            "privateChallengeParameters": session.data["private"],
            "challengeAnswer": request.params["ANSWER"],
            "clientMetadata": request.client_metadata,
            "userNotFound": False,
        },
        {"answerCorrect": None},
    )
    entry = {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": bool(verdict.get("answerCorrect")),
    }
    if session.data["metadata"] is not None:
        entry["challengeMetadata"] = session.data["metadata"]
    state = session.data["state"]
    state["session"].append(entry)
    return define(request, user, state)


def install():
    signin.FLOWS["CUSTOM_AUTH"] = initiate
    signin.CHALLENGES["CUSTOM_CHALLENGE"] = respond
