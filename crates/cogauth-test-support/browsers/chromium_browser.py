#!/usr/bin/env python3
"""A real browser for the browser sign-in test: `$BROWSER <url>` drives headless chromium.

Selenium (pinned in ../emulator/requirements.txt, so it is in the emulator's venv) drives the
Debian `chromium` through the Debian `chromium-driver` (/usr/bin/chromedriver): selenium is never
allowed to download a driver or a browser. The driver opens the URL, fills in the emulator's
sign-in page (or the fake identity provider's page) like a user, submits it, waits until the
browser has followed the redirect to the authorization request's `redirect_uri` (cogauth's
loopback listener) and that page has loaded, and records the page: its text, title, URL, and a
screenshot. Like scripted_browser.py it returns at once and works in a detached child, unless
COGAUTH_BROWSER_FOREGROUND=1.

Run it with the venv's python, or with any python3 and COGAUTH_BROWSER_PYTHON set to the venv's
python (it re-executes itself there when selenium is not importable).

Environment:
  COGAUTH_BROWSER_RESULT      JSON result, written atomically when done: {"outcome", "message",
                              "callback": {"url", "title", "text"}, "final": {...}}
                              outcome: called_back | unreachable | refused | error_page | failed
  COGAUTH_BROWSER_SCREENSHOT  PNG of the final page
  COGAUTH_BROWSER_USERNAME / COGAUTH_BROWSER_PASSWORD   typed in the sign-in form
  COGAUTH_BROWSER_ACTION      signin (default) | deny | federated
  COGAUTH_BROWSER_IDP, COGAUTH_BROWSER_IDP_SUB / _EMAIL / _NAME   as for scripted_browser.py
  COGAUTH_BROWSER_TIMEOUT     seconds to wait for each page (default 60)
  COGAUTH_CHROMIUM, COGAUTH_CHROMEDRIVER   binaries (default /usr/bin/chromium, /usr/bin/chromedriver)
  COGAUTH_BROWSER_FOREGROUND=1  do not detach
"""

import json
import os
import shutil
import sys
import tempfile
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from scripted_browser import detach, same_endpoint, write_result  # noqa: E402

# The flags keep chromium off the network (this machine's network is closed: a lookup it
# starts on its own would hang the start) and out of the first-run and sandbox machinery.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
]


def ensure_selenium():
    try:
        import selenium  # noqa: F401
    except ImportError:
        python = os.environ.get("COGAUTH_BROWSER_PYTHON")
        # Once only: a venv's python is a symlink to the base interpreter, so paths cannot tell
        # whether this already is the venv's.
        if python and not os.environ.get("COGAUTH_BROWSER_REEXEC"):
            os.environ["COGAUTH_BROWSER_REEXEC"] = "1"
            os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])
        raise SystemExit(
            "chromium_browser.py needs selenium: run it with the emulator venv's python "
            "(target/cogauth-emulator/venv/bin/python) or set COGAUTH_BROWSER_PYTHON to it"
        ) from None


def start_chromium(profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Never let selenium-manager look for (or download) a driver or a browser.
    os.environ["SE_OFFLINE"] = "true"
    os.environ["SE_AVOID_STATS"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("COGAUTH_CHROMIUM", "/usr/bin/chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(executable_path=os.environ.get("COGAUTH_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def run(driver, url, env):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    timeout = float(env.get("COGAUTH_BROWSER_TIMEOUT", "60"))
    action = env.get("COGAUTH_BROWSER_ACTION", "signin")
    redirect_uri = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("redirect_uri")
    result = {"outcome": "failed", "message": ""}
    wait = WebDriverWait(driver, timeout)

    def at_callback(d):
        return bool(redirect_uri) and same_endpoint(d.current_url, redirect_uri)

    def loaded(d):
        return d.execute_script("return document.readyState") == "complete"

    def page_id(d):
        return d.find_element(By.TAG_NAME, "body").get_attribute("id") or ""

    def alert_text(d):
        found = d.find_elements(By.CSS_SELECTOR, "[role=alert]")
        return found[0].text if found else ""

    driver.get(url)
    submitted = set()
    for _ in range(10):
        wait.until(lambda d: at_callback(d) or loaded(d))
        if at_callback(driver):
            wait.until(loaded)
            # Chromium's own "This site can't be reached" page keeps the URL it failed to load.
            if driver.find_elements(By.CSS_SELECTOR, "#main-frame-error, body.neterror"):
                result.update(
                    outcome="unreachable", message=f"the callback {driver.current_url} did not answer"
                )
            else:
                result["outcome"] = "called_back"
            break
        current = page_id(driver)
        # The element that goes stale once the click below has navigated away.
        old_body = driver.find_element(By.TAG_NAME, "body")
        if current in submitted:
            result.update(outcome="refused", message=alert_text(driver) or f"still on {current}")
            break
        if current == "login-page":
            if action == "federated":
                links = driver.find_elements(By.CSS_SELECTOR, "a.idp")
                wanted = env.get("COGAUTH_BROWSER_IDP")
                chosen = [a for a in links if a.get_attribute("id") == f"idp-{wanted}"] or links
                if not chosen:
                    result.update(outcome="refused", message="no identity provider on the sign-in page")
                    break
                chosen[0].click()
            elif action == "deny":
                driver.find_element(By.ID, "cancel").click()
            else:
                username = driver.find_element(By.ID, "username")
                if env.get("COGAUTH_BROWSER_USERNAME"):
                    username.clear()
                    username.send_keys(env["COGAUTH_BROWSER_USERNAME"])
                driver.find_element(By.ID, "password").send_keys(env.get("COGAUTH_BROWSER_PASSWORD", ""))
                driver.find_element(By.ID, "signin").click()
            submitted.add(current)
        elif current == "idp-page":
            if action == "deny":
                driver.find_element(By.ID, "deny").click()
            else:
                for name in ("sub", "email", "name"):
                    value = env.get(f"COGAUTH_BROWSER_IDP_{name.upper()}")
                    if value is not None:
                        field = driver.find_element(By.ID, name)
                        field.clear()
                        field.send_keys(value)
                driver.find_element(By.ID, "approve").click()
            submitted.add(current)
        else:
            result.update(
                outcome="error_page",
                message=alert_text(driver)
                or f"unexpected page {current!r} at {driver.current_url}: {driver.title}",
            )
            break
        try:
            wait.until(lambda d, old=old_body: at_callback(d) or _stale(old))
        except TimeoutException:
            result.update(outcome="failed", message=f"the page {current!r} did not change after the click")
            break
    page = {
        "url": driver.current_url,
        "title": driver.title,
        "text": driver.find_element(By.TAG_NAME, "body").text,
    }
    result["final"] = page
    if result["outcome"] == "called_back":
        result["callback"] = page
    return result


def _stale(element):
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True


def main():
    if len(sys.argv) < 2:
        print("usage: chromium_browser.py URL", file=sys.stderr)
        return 2
    ensure_selenium()
    url = sys.argv[-1]
    env = dict(os.environ)
    if env.get("COGAUTH_BROWSER_FOREGROUND") != "1":
        detach()
    profile = tempfile.mkdtemp(prefix="cogauth-chromium-")
    driver = None
    result = {"outcome": "failed", "message": ""}
    try:
        driver = start_chromium(profile)
        result = run(driver, url, env)
        if env.get("COGAUTH_BROWSER_SCREENSHOT"):
            driver.save_screenshot(env["COGAUTH_BROWSER_SCREENSHOT"])
    except Exception:  # the test reads the failure from the result file
        result["message"] = traceback.format_exc()
        if driver is not None:
            try:
                result["final"] = {
                    "url": driver.current_url,
                    "title": driver.title,
                    "text": driver.page_source[:4000],
                }
            except Exception:  # noqa: BLE001 - best effort, the traceback is what matters
                pass
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    write_result(env.get("COGAUTH_BROWSER_RESULT"), result)
    if env.get("COGAUTH_BROWSER_FOREGROUND") == "1":
        print(json.dumps({k: result[k] for k in ("outcome", "message")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
