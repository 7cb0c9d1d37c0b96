"""A simulated third-party identity provider, and what Cognito does with the users it signs in.

The fake IdP is served at /cogauth-test/fake-idp/authorize. It speaks the front half of an OIDC
authorization-code flow: the managed login sends the browser there with `client_id` (the
provider's `client_id` from ProviderDetails, else its name), `redirect_uri`
(`<domain base>/oauth2/idpresponse`), `state` and `login_hint`; the page is a form where the
test (or the real browser) types the external user's id, email and name, and "Sign in" sends
the browser back to `redirect_uri?code=…&state=…` ("Deny" sends `error=access_denied`). The
managed login redeems that one-time IdP code in-process (there is no real IdP token endpoint,
signature or SAML assertion: see docs/emulator.md), and then provisions the user as Cognito
does:

- username `<ProviderName>_<id>`, where `<id>` is the IdP claim mapped to `username` in the
  provider's AttributeMapping (moto's default mapping is `username: sub`);
- the other mapped attributes, updated at every sign-in;
- the `identities` attribute (`userId`, `providerName`, `providerType`, `issuer`, `primary`,
  `dateCreated`), which the ID token carries as its `identities` claim;
- the status EXTERNAL_PROVIDER, and membership of the group `<pool id>_<ProviderName>`, which
  Cognito creates for each provider's users.
"""

import json
import secrets
import threading
import time
import urllib.parse

from werkzeug.wrappers import Request, Response

from . import managed_login_pages as pages

IDP_PREFIX = "/cogauth-test/fake-idp"
IDP_CODE_TTL = 300

# One-time IdP codes: code -> {claims, client_id, redirect_uri, issued}. Module-level: the fake
# IdP is not part of any AWS backend; entries are consumed or expire within minutes.
IDP_CODES = {}
IDP_LOCK = threading.Lock()


def redirect(location, cookies=()):
    response = Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})
    for cookie in cookies:
        response.headers.add("Set-Cookie", cookie)
    return response


def with_query(url, params):
    params = {k: v for k, v in params.items() if v is not None}
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + separator + urllib.parse.urlencode(params)


def html(body, status=200):
    return Response(
        body, status=status, content_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"}
    )


def provider_client_id(provider):
    details = provider.extended_config.get("ProviderDetails") or {}
    return details.get("client_id") or provider.name


def idp_authorize_url(host_url, provider, redirect_uri, state, login_hint):
    details = provider.extended_config.get("ProviderDetails") or {}
    return with_query(
        host_url.rstrip("/") + IDP_PREFIX + "/authorize",
        {
            "response_type": "code",
            "client_id": provider_client_id(provider),
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": details.get("authorize_scopes") or "openid email profile",
            "login_hint": login_hint or None,
            "provider": provider.name,
        },
    )


def fake_idp_app(environ, start_response):
    request = Request(environ)
    if request.path.rstrip("/") != IDP_PREFIX + "/authorize":
        return html(pages.message_page("Not found", "No such page.", "not-found"), 404)(
            environ, start_response
        )
    args = request.args
    redirect_uri = args.get("redirect_uri", "")
    state = args.get("state")
    provider = args.get("provider") or args.get("client_id") or "IdP"
    if not redirect_uri or not args.get("client_id"):
        body = pages.error_page("invalid_request", "client_id and redirect_uri are required")
        return html(body, 400)(environ, start_response)
    if request.method == "GET":
        body = pages.idp_page(request.full_path, provider, args.get("login_hint", ""))
        return html(body)(environ, start_response)
    if request.method != "POST":
        return Response(status=405, headers={"Allow": "GET, POST"})(environ, start_response)

    form = request.form
    if form.get("action") == "deny":
        location = with_query(
            redirect_uri,
            {"error": "access_denied", "error_description": "The user denied the request", "state": state},
        )
        return redirect(location)(environ, start_response)
    sub = (form.get("sub") or "").strip()
    if not sub:
        body = pages.idp_page(
            request.full_path, provider, args.get("login_hint", ""), "A user id is required."
        )
        return html(body, 400)(environ, start_response)
    claims = {"sub": sub}
    for name in ("email", "name"):
        value = (form.get(name) or "").strip()
        if value:
            claims[name] = value
    if "email" in claims:
        claims["email_verified"] = "true"
    code = secrets.token_urlsafe(24)
    with IDP_LOCK:
        IDP_CODES[code] = {
            "claims": claims,
            "client_id": args.get("client_id"),
            "redirect_uri": redirect_uri,
            "issued": time.time(),
        }
    return redirect(with_query(redirect_uri, {"code": code, "state": state}))(environ, start_response)


def redeem_idp_code(code, client_id, redirect_uri):
    """The external user's claims for a one-time IdP code, or None (unknown, used, expired,
    or issued to another client or redirect URI)."""
    with IDP_LOCK:
        entry = IDP_CODES.pop(code, None)
    if entry is None or time.time() - entry["issued"] > IDP_CODE_TTL:
        return None
    if entry["client_id"] != client_id or entry["redirect_uri"] != redirect_uri:
        return None
    return entry["claims"]


def age_idp_codes(seconds):
    with IDP_LOCK:
        for entry in IDP_CODES.values():
            entry["issued"] -= seconds
        return len(IDP_CODES)


def provision_federated_user(backend, pool, provider, claims):
    """Create or update the user `<ProviderName>_<id>` for an external user; returns it."""
    from moto.cognitoidp.models import CognitoIdpUser, UserStatus

    mapping = dict(provider.extended_config.get("AttributeMapping") or {"username": "sub"})
    external_id = claims.get(mapping.get("username", "sub")) or claims["sub"]
    username = f"{provider.name}_{external_id}"
    attributes = {}
    for pool_attribute, idp_claim in mapping.items():
        if pool_attribute != "username" and idp_claim in claims:
            attributes[pool_attribute] = claims[idp_claim]

    user = pool.users.get(username)
    if user is None:
        details = provider.extended_config.get("ProviderDetails") or {}
        identities = [
            {
                "userId": str(external_id),
                "providerName": provider.name,
                "providerType": provider.extended_config.get("ProviderType") or "OIDC",
                "issuer": details.get("oidc_issuer"),
                "primary": True,
                "dateCreated": int(time.time() * 1000),
            }
        ]
        attributes["identities"] = json.dumps(identities, separators=(",", ":"))
        # Kept CONFIRMED inside moto (its GetUser accepts only CONFIRMED users); reported as
        # EXTERNAL_PROVIDER by managed_login_tokens.
        user = CognitoIdpUser(
            pool.id,
            username,
            None,
            UserStatus.CONFIRMED,
            [{"Name": k, "Value": v} for k, v in attributes.items()],
        )
        user.cogauth_external_provider = True
        pool.users[username] = user
    else:
        user.update_attributes([{"Name": k, "Value": v} for k, v in attributes.items()])

    group_name = f"{pool.id}_{provider.name}"
    if group_name not in pool.groups:
        backend.create_group(
            pool.id,
            group_name,
            f"Autogenerated group for users who sign in using {provider.name}",
            None,
            None,
        )
    backend.admin_add_user_to_group(pool.id, group_name, username)
    return user
