#!/usr/bin/env python3
"""A scripted "browser" for the browser sign-in tests: `$BROWSER <url>`.

It does what a user does with the emulator's managed login (standard library only): it GETs the
URL, follows redirects, fills in the sign-in form (or the fake identity provider's form), and
when a redirect points at the `redirect_uri` of the authorization request (cogauth's loopback
listener) it GETs that callback and records the page it answers. It returns at once: the work
goes on in a detached child (cogauth waits for its callback, not for the browser; a child that
kept cogauth's stdout open would also keep a reader of that pipe waiting), unless
COGAUTH_BROWSER_FOREGROUND=1.

Environment (all optional but COGAUTH_BROWSER_RESULT for a test that asserts):
  COGAUTH_BROWSER_RESULT      file that receives the JSON result, written atomically when done:
                              {"outcome", "message", "callback": {"url", "status", "body"},
                               "second_callback", "final": {...}, "steps": [...]}
                              outcome: called_back | redirected | stopped | refused | error_page
                              | unreachable | failed. The "callback" is the URL's redirect_uri,
                              or its logout_uri for a /logout URL.
  COGAUTH_BROWSER_USERNAME    username typed in the sign-in form (else the prefilled login_hint)
  COGAUTH_BROWSER_PASSWORD    password typed in the sign-in form
  COGAUTH_BROWSER_ACTION      signin (default) | deny (Cancel / Deny: error=access_denied)
                              | ignore (load the page, then never sign in: cogauth times out)
                              | federated (sign in through the identity provider)
  COGAUTH_BROWSER_IDP         provider to pick on the sign-in page (default: the first listed)
  COGAUTH_BROWSER_IDP_SUB / _IDP_EMAIL / _IDP_NAME   the external user typed in the fake IdP
  COGAUTH_BROWSER_NEW_PASSWORD  answer to the "change your password" step
  COGAUTH_BROWSER_TOTP_CODE   answer to the MFA step, or COGAUTH_BROWSER_TOTP_SECRET (base32)
                              to compute the current code
  COGAUTH_BROWSER_STATE       keep (default) | drop | alter: what reaches the callback
  COGAUTH_BROWSER_CODE        keep (default) | drop | alter: what reaches the callback
  COGAUTH_BROWSER_CHALLENGE   keep (default) | drop | alter: the code_challenge sent to authorize
  COGAUTH_BROWSER_CALLBACK    fetch (default) | record: record the callback URL without GETting
                              it (outcome "redirected"), e.g. to paste it into `--no-browser`
  COGAUTH_BROWSER_REPEAT_CALLBACK=1  GET the callback a second time (recorded as second_callback)
  COGAUTH_BROWSER_COOKIES     cookie file kept across runs (the managed-login session)
  COGAUTH_BROWSER_TIMEOUT     seconds per HTTP request (default 30)
  COGAUTH_BROWSER_FOREGROUND=1  do not detach
"""

import base64
import hashlib
import hmac
import html.parser
import http.cookiejar
import json
import os
import struct
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

MAX_STEPS = 30


class Page(html.parser.HTMLParser):
    """The parts of a page the driver acts on: body id, forms, inputs, links, #error text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.page_id = ""
        self.forms = {}
        self.links = {}
        self.alerts = []
        self._form = None
        self._capture = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.page_id = attrs.get("id", "")
        elif tag == "form":
            self._form = {"action": attrs.get("action", ""), "fields": {}, "buttons": {}}
            self.forms[attrs.get("id", f"form{len(self.forms)}")] = self._form
        elif tag == "input" and self._form is not None and attrs.get("name"):
            self._form["fields"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "button" and self._form is not None and attrs.get("name"):
            self._form["buttons"][attrs.get("id", attrs["value"])] = (attrs["name"], attrs.get("value", ""))
        elif tag == "a" and attrs.get("id") and attrs.get("href"):
            self.links[attrs["id"]] = attrs["href"]
        elif attrs.get("role") == "alert":
            self._capture = []

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif self._capture is not None and tag in ("p", "div", "span"):
            self.alerts.append("".join(self._capture).strip())
            self._capture = None

    def handle_data(self, data):
        if self._capture is not None:
            self._capture.append(data)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def totp(secret, at=None):
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def replace_param(url, name, mode):
    """Drop or alter one query parameter of a URL (mode keep leaves it alone)."""
    if mode in ("", "keep"):
        return url
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    changed = []
    for key, value in query:
        if key != name:
            changed.append((key, value))
        elif mode == "alter":
            # Same length and alphabet, different value: only the check itself can catch it.
            changed.append((key, ("A" if value[:1] != "A" else "B") + value[1:]))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(changed)))


def same_endpoint(url, redirect_uri):
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(redirect_uri)
    return (a.scheme, a.hostname, a.port, a.path) == (b.scheme, b.hostname, b.port, b.path)


class Browser:
    def __init__(self, env):
        self.env = env
        self.timeout = float(env.get("COGAUTH_BROWSER_TIMEOUT", "30"))
        cookie_file = env.get("COGAUTH_BROWSER_COOKIES")
        self.jar = http.cookiejar.LWPCookieJar(cookie_file) if cookie_file else http.cookiejar.CookieJar()
        if cookie_file and os.path.exists(cookie_file):
            self.jar.load(ignore_discard=True)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect(), urllib.request.ProxyHandler({})
        )
        self.steps = []
        self.result = {"outcome": "failed", "message": "", "steps": self.steps}

    def save_cookies(self):
        if isinstance(self.jar, http.cookiejar.LWPCookieJar):
            self.jar.save(ignore_discard=True)

    def fetch(self, url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
        try:
            response = self.opener.open(request, timeout=self.timeout)
            status, headers, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, error.headers, error.read()
        self.steps.append({"method": request.get_method(), "url": url, "status": status})
        return status, headers, text.decode("utf-8", "replace")

    def run(self, url):
        env = self.env
        action = env.get("COGAUTH_BROWSER_ACTION", "signin")
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        redirect_uri = query.get("redirect_uri") or query.get("logout_uri")
        url = replace_param(url, "code_challenge", env.get("COGAUTH_BROWSER_CHALLENGE", "keep"))
        data = None
        for _ in range(MAX_STEPS):
            if redirect_uri and same_endpoint(url, redirect_uri):
                return self.callback(url)
            try:
                status, headers, text = self.fetch(url, data)
            except (urllib.error.URLError, OSError) as error:
                return self.finish("unreachable", f"{url}: {error}")
            data = None
            self.result["final"] = {"url": url, "status": status, "body": text}
            if 300 <= status < 400 and headers.get("Location"):
                url = urllib.parse.urljoin(url, headers["Location"])
                continue
            page = Page(text)
            if action == "ignore":
                return self.finish("stopped", f"left the page {page.page_id or url} without signing in")
            step = self.act(page, url, action)
            if isinstance(step, str):
                return self.finish(*step.split(":", 1))
            url, data = step
        return self.finish("failed", "too many steps")

    def act(self, page, url, action):
        """The next (url, form data) from a page, or "outcome:message" to stop."""
        env = self.env
        if page.page_id == "login-page":
            if page.alerts and not self.result.get("_submitted_login"):
                pass  # e.g. "Login option is not available": the user may still sign in
            elif page.alerts:
                return "refused:" + page.alerts[0]
            if action == "federated":
                wanted = env.get("COGAUTH_BROWSER_IDP")
                links = {k[len("idp-") :]: v for k, v in page.links.items() if k.startswith("idp-")}
                if not links:
                    return "refused:no identity provider on the sign-in page"
                name = wanted if wanted in links else next(iter(links))
                return urllib.parse.urljoin(url, links[name]), None
            form = page.forms.get("signin-form") or page.forms.get("cancel-form")
            if form is None:
                return "refused:no sign-in form"
            fields = dict(form["fields"])
            if action == "deny":
                fields["action"] = "cancel"
            else:
                if "signin-form" not in page.forms:
                    return "refused:" + (page.alerts[0] if page.alerts else "no password sign-in")
                fields["username"] = env.get("COGAUTH_BROWSER_USERNAME", fields.get("username", ""))
                fields["password"] = env.get("COGAUTH_BROWSER_PASSWORD", "")
                fields["action"] = "signin"
                self.result["_submitted_login"] = True
            return urllib.parse.urljoin(url, form["action"]), fields
        if page.page_id == "new-password-page":
            if page.alerts and self.result.get("_submitted_new_password"):
                return "refused:" + page.alerts[0]
            new_password = env.get("COGAUTH_BROWSER_NEW_PASSWORD")
            if not new_password:
                return "refused:the page asks for a new password (set COGAUTH_BROWSER_NEW_PASSWORD)"
            form = page.forms["new-password-form"]
            fields = dict(form["fields"], new_password=new_password, action="new_password")
            self.result["_submitted_new_password"] = True
            return urllib.parse.urljoin(url, form["action"]), fields
        if page.page_id == "totp-page":
            if page.alerts and self.result.get("_submitted_totp"):
                return "refused:" + page.alerts[0]
            code = env.get("COGAUTH_BROWSER_TOTP_CODE")
            if not code and env.get("COGAUTH_BROWSER_TOTP_SECRET"):
                code = totp(env["COGAUTH_BROWSER_TOTP_SECRET"])
            if not code:
                return "refused:the page asks for an MFA code (set COGAUTH_BROWSER_TOTP_CODE or _SECRET)"
            form = page.forms["totp-form"]
            self.result["_submitted_totp"] = True
            return urllib.parse.urljoin(url, form["action"]), dict(form["fields"], code=code, action="totp")
        if page.page_id == "idp-page":
            form = page.forms["idp-form"]
            fields = dict(form["fields"])
            if action == "deny":
                fields["action"] = "deny"
            else:
                for name in ("sub", "email", "name"):
                    value = env.get(f"COGAUTH_BROWSER_IDP_{name.upper()}")
                    if value is not None:
                        fields[name] = value
                fields["action"] = "approve"
            return urllib.parse.urljoin(url, form["action"]), fields
        if page.page_id == "error-page":
            return "error_page:" + " ".join(page.alerts)
        return f"error_page:unexpected page {page.page_id or '(no id)'} at {url}"

    def callback(self, url):
        env = self.env
        url = replace_param(url, "state", env.get("COGAUTH_BROWSER_STATE", "keep"))
        url = replace_param(url, "code", env.get("COGAUTH_BROWSER_CODE", "keep"))
        if env.get("COGAUTH_BROWSER_CALLBACK", "fetch") == "record":
            self.result["callback"] = {"url": url, "status": None, "body": None}
            return self.finish("redirected", "")
        try:
            status, _, text = self.fetch(url)
        except (urllib.error.URLError, OSError) as error:
            return self.finish("unreachable", f"callback {url}: {error}")
        self.result["callback"] = {"url": url, "status": status, "body": text}
        self.result["final"] = self.result["callback"]
        if env.get("COGAUTH_BROWSER_REPEAT_CALLBACK") == "1":
            try:
                status2, _, text2 = self.fetch(url)
                self.result["second_callback"] = {"url": url, "status": status2, "body": text2}
            except (urllib.error.URLError, OSError) as error:
                self.result["second_callback"] = {"url": url, "status": None, "body": str(error)}
        return self.finish("called_back", "")

    def finish(self, outcome, message):
        self.result["outcome"] = outcome
        self.result["message"] = message.strip()
        for key in [k for k in self.result if k.startswith("_")]:
            del self.result[key]
        return self.result


def write_result(path, result):
    if not path:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as out:
        json.dump(result, out, indent=1)
    os.replace(tmp, path)


def detach():
    """Return in the parent at once; go on in a grandchild with no terminal and no inherited
    stdio, so neither the caller's wait nor a reader of its pipes waits for us."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def main():
    if len(sys.argv) < 2:
        print("usage: scripted_browser.py URL", file=sys.stderr)
        return 2
    url = sys.argv[-1]
    env = dict(os.environ)
    if env.get("COGAUTH_BROWSER_FOREGROUND") != "1":
        detach()
    browser = Browser(env)
    try:
        result = browser.run(url)
    except Exception:  # the test reads the failure from the result file
        result = browser.finish("failed", traceback.format_exc())
    try:
        browser.save_cookies()
    except OSError:
        pass
    write_result(env.get("COGAUTH_BROWSER_RESULT"), result)
    if env.get("COGAUTH_BROWSER_FOREGROUND") == "1":
        print(json.dumps({k: result[k] for k in ("outcome", "message")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
