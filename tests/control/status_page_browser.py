#!/usr/bin/env python3
"""Drives a real headless Chromium through portvaktd's status page for
tests/control/status_page.sh, over the Chrome DevTools Protocol on a pipe
(--remote-debugging-pipe: no port, no extra Python package).

Chromium finds its client certificate and the region CA in the NSS database
under $HOME/.pki/nssdb (made by the shell with certutil and pk12util) and sends
the certificate without asking because the managed policy
AutoSelectCertificateForUrls names the appliance's URL (the shell puts it in
/etc/chromium/policies/managed inside a mount namespace of this run only).

Checks, each printing FAIL: ... when it does not hold (exit 1 then):
  - the overview, devices and graph pages load (HTTP 200) and show the policy,
    the ports, the devices (by MAC) and the open alerts; the hostile strings
    the devices sent are shown as text, and no element or script came of them;
  - the graph image loads;
  - no console message of level error, no exception, no dialog, while the
    pages load and the acknowledge button is used;
  - a form on another origin that posts to the acknowledge route (even with
    the page's own token) is refused and acknowledges nothing;
  - the acknowledge button of the --ack-event alert takes the browser back to
    the overview, where that alert is gone; prints "acked ID";
  - fetch() of POST /api/v1/policy/push with this certificate answers 403;
  - with Accept-Language: sv the page is Swedish.
Screenshots: OUT/overview.png, devices.png, graph.png, overview-sv.png.

Usage: status_page_browser.py --base URL --out DIR --site NAME [--mac MAC]...
         [--text TEXT]... [--ack-event EVENT] [--expect-push 403]
"""
import argparse
import base64
import json
import os
import select
import subprocess
import sys
import time


class Browser:
    def __init__(self, chromium, profile):
        to_r, to_w = os.pipe()      # we write, Chromium reads on fd 3
        from_r, from_w = os.pipe()  # Chromium writes on fd 4

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.log = open(os.path.join(profile, "chromium.log"), "w")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "--no-first-run", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--window-size=1280,900", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=self.log, stderr=self.log)
        os.close(to_r)
        os.close(from_w)
        self.w, self.r = to_w, from_r
        self.buf = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable", session=True)

    def receive(self, timeout):
        end = time.monotonic() + timeout
        while b"\0" not in self.buf:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.r], [], [], max(0, left))
            if not ready:
                raise TimeoutError("Chromium did not answer within %s s" % timeout)
            data = os.read(self.r, 1 << 20)
            if not data:
                raise EOFError("Chromium closed its pipe (see chromium.log)")
            self.buf += data
        message, self.buf = self.buf.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=False, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.w, json.dumps(message).encode() + b"\0")
        while True:
            m = self.receive(timeout)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=30):
        end = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    del self.events[i]
                    return m
            self.events.append(self.receive(max(0.1, end - time.monotonic())))

    def navigate(self, url):
        self.drop("Page.loadEventFired")
        self.drop("Network.responseReceived")
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")
        return self.main_status(url)

    def main_status(self, url):
        for m in self.events:
            if m.get("method") == "Network.responseReceived" and m["params"].get("type") == "Document":
                return m["params"]["response"]["status"]
        return None

    def drop(self, method):
        self.events = [m for m in self.events if m.get("method") != method]

    def evaluate(self, expression, await_promise=False):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError("evaluate %s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def screenshot(self, path):
        metrics = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": metrics["width"], "height": min(metrics["height"], 4000), "scale": 1}},
            session=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def problems(self):
        """Console errors, exceptions and dialogs seen since the last call."""
        out = []
        for m in self.events:
            method, p = m.get("method"), m.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], [a.get("value") for a in p.get("args", [])]))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                out.append("console error (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))
            elif method == "Page.javascriptDialogOpening":
                out.append("a dialog opened: %s" % p.get("message"))
        self.events = [m for m in self.events if m.get("method") not in (
            "Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded", "Page.javascriptDialogOpening")]
        return out

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", default="/usr/lib/chromium/chromium")
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--mac", action="append", default=[])
    parser.add_argument("--text", action="append", default=[], help="shown as text on the devices page")
    parser.add_argument("--ack-event")
    parser.add_argument("--expect-push", type=int, default=403)
    args = parser.parse_args()
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)
            print("FAIL:", what, flush=True)

    b = Browser(args.chromium, args.profile)
    try:
        b.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                      "mobile": False}, session=True)
        # The overview
        status = b.navigate(args.base + "/status")
        check(status == 200, "GET /status answered %s, not 200" % status)
        text = b.evaluate("document.body.innerText")
        check(args.site in text, "the overview does not name the policy %s" % args.site)
        check(b.evaluate("document.querySelectorAll('#ports tr').length") >= 2, "the overview lists no ports")
        alert_id = None
        if args.ack_event:
            alert_id = b.evaluate(
                "(() => { for (const r of document.querySelectorAll('#alerts tr[data-alert]'))"
                " if (r.cells[1].innerText === %s) return r.dataset.alert; return null; })()" % json.dumps(args.ack_event))
            check(alert_id is not None, "the overview shows no open %s alert" % args.ack_event)
        b.screenshot(os.path.join(args.out, "overview.png"))
        # The devices
        status = b.navigate(args.base + "/status/devices")
        check(status == 200, "GET /status/devices answered %s, not 200" % status)
        text = b.evaluate("document.body.innerText")
        for mac in args.mac:
            check(mac in text, "the devices page does not show %s" % mac)
        for hostile in args.text:
            check(hostile in text, "the devices page does not show %r as text" % hostile)
        check(b.evaluate("document.scripts.length") == 0, "the devices page holds a script element")
        check(b.evaluate("document.querySelectorAll('img').length") == 0, "the devices page holds an img element")
        check(b.evaluate("document.querySelectorAll('table.devices').length") >= 2, "the devices are not grouped by zone")
        b.screenshot(os.path.join(args.out, "devices.png"))
        # The graph
        status = b.navigate(args.base + "/status/graph")
        check(status == 200, "GET /status/graph answered %s, not 200" % status)
        width = b.evaluate("document.querySelector('img.graph') ? document.querySelector('img.graph').naturalWidth : 0")
        check(width and width > 0, "the graph image did not load")
        b.screenshot(os.path.join(args.out, "graph.png"))
        # The acknowledge button
        if alert_id:
            b.navigate(args.base + "/status")
            b.drop("Page.loadEventFired")
            b.evaluate("document.querySelector('tr[data-alert=\"%s\"] button').click()" % alert_id)
            b.wait_event("Page.loadEventFired")
            check(b.evaluate("location.pathname") == "/status", "after the acknowledge the browser is not on /status")
            check(b.evaluate("document.querySelector('tr[data-alert=\"%s\"]') === null" % alert_id),
                  "the acknowledged alert is still listed as open")
            print("acked", alert_id, flush=True)
        for p in b.problems():
            check(False, "while reading the pages: " + p)
        # A forged form on another origin (a data: page, Origin: null), even with the page's own token.
        b.navigate(args.base + "/status")
        victim = b.evaluate("(() => { const r = document.querySelector('#alerts tr[data-alert]'); return r ? "
                            "[r.dataset.alert, r.querySelector('form').action, r.querySelector('input[name=token]').value] : null; })()")
        if victim:
            forged = ("<form method=post action='%s'><input name=token value='%s'></form>" % (victim[1], victim[2]))
            b.navigate("data:text/html," + forged)
            b.drop("Page.loadEventFired")
            b.evaluate("document.forms[0].submit()")
            b.wait_event("Page.loadEventFired")
            refused = b.evaluate("document.body.innerText")
            check("cross-site" in refused, "a form from another origin was not refused: %r" % refused[:200])
            b.navigate(args.base + "/status")
            check(b.evaluate("document.querySelector('tr[data-alert=\"%s\"]') !== null" % victim[0]),
                  "a forged form acknowledged alert %s" % victim[0])
            print("forged form refused for", victim[0], flush=True)
        else:
            check(False, "no second open alert to forge a form for")
        b.problems()  # the refusal's 403 is expected here
        # Pushing with this certificate: the page's CSP forbids fetch(), so
        # the check runs with CSP bypassed (the API route has no CSP anyway).
        b.call("Page.setBypassCSP", {"enabled": True}, session=True)
        b.navigate(args.base + "/status")
        pushed = b.evaluate(
            "fetch('/api/v1/policy/push', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({bundle: {site: 's.yaml', files: [{path: 's.yaml', text: 'portvakt: 1'}]}})})"
            ".then(async r => [r.status, await r.text()])", await_promise=True)
        check(pushed[0] == args.expect_push, "POST /api/v1/policy/push answered %s, want %s: %s"
              % (pushed[0], args.expect_push, pushed[1][:200]))
        print("push answered", pushed[0], pushed[1][:160], flush=True)
        b.call("Page.setBypassCSP", {"enabled": False}, session=True)
        b.problems()
        # Swedish
        b.call("Network.setExtraHTTPHeaders", {"headers": {"Accept-Language": "sv-SE,sv;q=0.9"}}, session=True)
        b.navigate(args.base + "/status")
        check(b.evaluate("document.documentElement.lang") == "sv", "the page is not Swedish for Accept-Language: sv")
        check("Öppna larm" in b.evaluate("document.body.innerText"), "the Swedish page lacks 'Öppna larm'")
        b.screenshot(os.path.join(args.out, "overview-sv.png"))
        for p in b.problems():
            check(False, "on the Swedish page: " + p)
    finally:
        b.close()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
