"""The HTML pages of the emulated managed login and of the fake identity provider.

Plain forms with stable element ids, so that a scripted HTTP client and a real browser driven by
selenium can fill them in (crates/cogauth-test-support/browsers/): the managed-login form is
`#signin-form` with `#username`, `#password`, `#signin` and `#cancel`; the new-password step
`#new-password-form` (`#new_password`), the TOTP step `#totp-form` (`#code`); the fake IdP's form
is `#idp-form` with `#sub`, `#email`, `#name`, `#approve` and `#deny`. Everything shown is
escaped.
"""

from html import escape


def page(title, body, page_id):
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n"
        f'<body id="{escape(page_id)}">\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n'
    )


def alert(message):
    if not message:
        return ""
    return f'<p id="error" role="alert">{escape(message)}</p>\n'


def hidden(name, value):
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n'


def login_page(action, csrf, login_hint="", error="", providers=(), local_allowed=True, pool_name=""):
    """The sign-in page. `providers` is a list of (name, authorize_url) for the IdP buttons."""
    body = alert(error)
    if pool_name:
        body += f'<p id="pool">{escape(pool_name)}</p>\n'
    if local_allowed:
        body += (
            f'<form id="signin-form" method="post" action="{escape(action)}">\n'
            + hidden("_csrf", csrf)
            + '<label for="username">Username</label>\n'
            f'<input id="username" name="username" autocomplete="username"'
            f' value="{escape(login_hint)}">\n'
            '<label for="password">Password</label>\n'
            '<input id="password" name="password" type="password"'
            ' autocomplete="current-password">\n'
            '<button id="signin" type="submit" name="action" value="signin">Sign in</button>\n'
            '<button id="cancel" type="submit" name="action" value="cancel">Cancel</button>\n'
            "</form>\n"
        )
    else:
        # Without COGNITO among the client's providers there is no password form, but the user
        # can still refuse.
        body += (
            f'<form id="cancel-form" method="post" action="{escape(action)}">\n'
            + hidden("_csrf", csrf)
            + '<button id="cancel" type="submit" name="action" value="cancel">Cancel</button>\n'
            "</form>\n"
        )
    if providers:
        body += '<ul id="identity-providers">\n'
        for name, url in providers:
            body += (
                f'<li><a id="idp-{escape(name)}" class="idp" href="{escape(url)}">'
                f"Sign in with {escape(name)}</a></li>\n"
            )
        body += "</ul>\n"
    return page("Sign in", body, "login-page")


def new_password_page(action, csrf, session, error=""):
    body = (
        alert(error) + "<p>Your password must be changed before you can sign in.</p>\n"
        f'<form id="new-password-form" method="post" action="{escape(action)}">\n'
        + hidden("_csrf", csrf)
        + hidden("session", session)
        + '<label for="new_password">New password</label>\n'
        '<input id="new_password" name="new_password" type="password"'
        ' autocomplete="new-password">\n'
        '<button id="submit" type="submit" name="action" value="new_password">'
        "Change password</button>\n"
        "</form>\n"
    )
    return page("Change password", body, "new-password-page")


def totp_page(action, csrf, session, error=""):
    body = (
        alert(error)
        + f'<form id="totp-form" method="post" action="{escape(action)}">\n'
        + hidden("_csrf", csrf)
        + hidden("session", session)
        + '<label for="code">Code from your authenticator app</label>\n'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code">\n'
        '<button id="submit" type="submit" name="action" value="totp">Sign in</button>\n'
        "</form>\n"
    )
    return page("Multi-factor authentication", body, "totp-page")


def error_page(error, description=""):
    body = (
        '<p id="message">An error was encountered with the requested page.</p>\n'
        f'<p id="error" role="alert">{escape(error)}</p>\n'
    )
    if description:
        body += f'<p id="error_description">{escape(description)}</p>\n'
    return page("Error", body, "error-page")


def message_page(title, message, page_id):
    return page(title, f'<p id="message">{escape(message)}</p>\n', page_id)


def idp_page(action, provider, login_hint="", error=""):
    """The fake identity provider's sign-in form: the external user's claims, typed in."""
    sub = login_hint.split("@")[0] if login_hint else ""
    body = (
        alert(error) + f'<p id="provider">{escape(provider)}</p>\n'
        f'<form id="idp-form" method="post" action="{escape(action)}">\n'
        '<label for="sub">User id</label>\n'
        f'<input id="sub" name="sub" value="{escape(sub)}">\n'
        '<label for="email">Email</label>\n'
        f'<input id="email" name="email" value="{escape(login_hint)}">\n'
        '<label for="name">Name</label>\n'
        '<input id="name" name="name" value="">\n'
        '<button id="approve" type="submit" name="action" value="approve">Sign in</button>\n'
        '<button id="deny" type="submit" name="action" value="deny">Deny</button>\n'
        "</form>\n"
    )
    return page(f"{provider} sign-in (simulated identity provider)", body, "idp-page")
