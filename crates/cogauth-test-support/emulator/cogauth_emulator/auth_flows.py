"""ExplicitAuthFlows, enforced for the flows the harness serves itself.

moto 5.2.5 stores an app client's ExplicitAuthFlows and enforces none of them. Here, as Cognito
does (CreateUserPoolClient's docs):
- An app client created without ExplicitAuthFlows allows ALLOW_REFRESH_TOKEN_AUTH,
  ALLOW_USER_SRP_AUTH and ALLOW_CUSTOM_AUTH.
- AuthFlow USER_AUTH needs ALLOW_USER_AUTH; CUSTOM_AUTH needs ALLOW_CUSTOM_AUTH (or the legacy
  CUSTOM_AUTH_FLOW_ONLY). Otherwise InvalidParameterException "<FLOW> flow not enabled for this
  client".
- A client with the legacy CUSTOM_AUTH_FLOW_ONLY refuses every other flow with
  InvalidParameterException "Only custom auth (lambda driven) is enabled for this client.".
- REFRESH_TOKEN_AUTH is checked in rotation.py (ALLOW_REFRESH_TOKEN_AUTH, and never on a client
  that rotates refresh tokens).
USER_SRP_AUTH and USER_PASSWORD_AUTH stay as moto has them (not enforced): the existing tests'
app clients and `cogauth doctor`'s checks of a client's flows rely on that.
"""

from . import signin

REQUIRED = {
    "USER_AUTH": ("ALLOW_USER_AUTH",),
    "CUSTOM_AUTH": ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
}


def check(request):
    flows = signin.explicit_flows(request.client)
    if "CUSTOM_AUTH_FLOW_ONLY" in flows and request.flow != "CUSTOM_AUTH":
        raise signin.invalid_parameter(
            "Only custom auth (lambda driven) is enabled for this client."
        )
    needed = REQUIRED.get(request.flow)
    if needed and not any(flow in flows for flow in needed):
        raise signin.invalid_parameter(f"{request.flow} flow not enabled for this client")


def install():
    signin.CHECKS.append(check)
