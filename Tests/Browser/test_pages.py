"""The pages in a real browser: headless Chromium driven by Selenium against `plinth serve`
on the seeded catalog (started here, on a fresh database and a free port).

Every page loads with no console errors and shows the seeded data; the catalog's filters
narrow it exactly as the API's filters do; curated text with markup shows as text; axe-core
finds no serious or critical violation; each page is photographed at desktop and phone
widths, light and dark, into $PLINTH_ARTIFACTS (default .build/browser-artifacts).

Run by scripts/browser-test.sh (README's test command runs that).
"""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLINTH = os.environ.get("PLINTH_BINARY", os.path.join(ROOT, ".build/debug/plinth"))
ARTIFACTS = os.environ.get("PLINTH_ARTIFACTS", os.path.join(ROOT, ".build/browser-artifacts"))
PLATFORM_DIGEST = "sha256:f3034a6ec3c1205360777c4aae76234998866ad18806ae62b63a3f84ccad782b"
PAGES = {
    "catalog": ("/", "Base images"),
    "matrix": ("/matrix", "Workloads and bases"),
    "image": ("/images/debian-bookworm-slim", "Debian 12 (bookworm), slim"),
    "image-without-successor": ("/images/debian-trixie-slim", "Debian 13 (trixie), slim"),
    "image-not-synced": ("/images/ubi9-minimal", "No digest synced yet"),
    "digest": (f"/digests/{PLATFORM_DIGEST}", "approved"),
    "changes": ("/changes", "Changes"),
    "not-found": ("/images/no-such-image", "404"),
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server(unittest.TestCase):
    """A `plinth serve` on a fresh seeded database, and a browser."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="plinth-browser-")
        db = os.path.join(cls.work, "plinth.sqlite")
        cls.token = subprocess.run(
            [PLINTH, "token", "create", "--role", "curator", "--name", "browser", "--db", db],
            check=True, capture_output=True, text=True).stdout.strip()
        cls.admin = subprocess.run(
            [PLINTH, "token", "create", "--role", "admin", "--name", "root", "--db", db],
            check=True, capture_output=True, text=True).stdout.strip()
        cls.port = free_port()
        cls.base = f"http://127.0.0.1:{cls.port}"
        cls.log = open(os.path.join(cls.work, "serve.log"), "w")
        cls.server = subprocess.Popen(
            [PLINTH, "serve", "--port", str(cls.port), "--db", db, "--sync-interval", "0", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=cls.log)
        for _ in range(300):
            try:
                urllib.request.urlopen(cls.base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
        os.makedirs(ARTIFACTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.terminate()
        cls.server.wait()
        cls.log.close()

    def api(self, path, method="GET", body=None):
        request = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Authorization", "Bearer " + self.token)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def open(self, path):
        self.driver.get(self.base + path)
        return self.driver.page_source

    def console_errors(self):
        return [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE" and "/images/no-such-image" not in entry["message"]]


class Pages(Server):
    def test_every_page_loads_without_console_errors_and_shows_the_seeded_data(self):
        for name, (path, expected) in PAGES.items():
            with self.subTest(page=name):
                source = self.open(path)
                main = self.driver.find_element(By.TAG_NAME, "main").text
                self.assertIn(expected, main)
                self.assertNotIn("nil", main.split(), f"{name}: an absent value printed as nil")
                self.assertEqual(self.console_errors(), [], f"{name}: console errors")
                self.assertIn("<link rel=\"stylesheet\" href=\"/static/plinth.css\">", source)
        # The catalog lists all 18 seeded entries; the image page has the FROM line to paste.
        self.open("/")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "tr[data-image]")), 18)
        self.open("/images/debian-bookworm-slim")
        line = self.driver.find_element(By.ID, "from-bookworm-slim").text
        self.assertEqual(line, "FROM debian:bookworm-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251")
        # Packages per platform: what the API lists for the current digest, platform by platform.
        listed = self.api("/v1/digests/" + line.split("@")[1] + "/packages")["manifests"]
        sets = self.driver.find_elements(By.CSS_SELECTOR, "details.packages")
        self.assertGreater(len(listed), 0)
        self.assertEqual(len(sets), len(listed))
        for element, manifest in zip(sets, listed):
            summary = element.find_element(By.TAG_NAME, "summary")
            self.assertIn(manifest["digest"], summary.text)
            self.assertIn(f"{len(manifest['packages'])} packages", summary.text)
            summary.click()
            rows = element.find_elements(By.CSS_SELECTOR, "tbody tr")
            self.assertEqual([row.find_elements(By.TAG_NAME, "td")[0].text for row in rows], [p["name"] for p in manifest["packages"]])
        self.open("/changes.atom")
        with urllib.request.urlopen(self.base + "/changes.atom") as response:
            self.assertTrue(response.headers["Content-Type"].startswith("application/atom+xml"))
            self.assertIn(b"<feed xmlns=\"http://www.w3.org/2005/Atom\">", response.read())

    def test_the_filters_narrow_the_catalog_as_the_api_does(self):
        cases = [
            {"workload": "python"},
            {"platform": "linux/arm64", "os": "ubuntu"},
            {"os": "debian"},
            {"status": "approved"},
            {"q": "lambda"},
            {"workload": "python", "platform": "linux/arm64", "status": "approved"},
        ]
        for query in cases:
            with self.subTest(query=query):
                self.open("/?" + urllib.parse.urlencode(query))
                shown = sorted(row.get_attribute("data-image") for row in self.driver.find_elements(By.CSS_SELECTOR, "tr[data-image]"))
                listed = sorted(item["name"] for item in self.api("/v1/images?limit=200&" + urllib.parse.urlencode(query))["items"])
                self.assertEqual(shown, listed)
                self.assertLess(len(shown), 18)
        # The form itself: choose a workload and submit.
        self.open("/")
        self.driver.find_element(By.CSS_SELECTOR, "select[name=workload] option[value=python]").click()
        self.driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        # The click returns before the navigation it starts has committed.
        WebDriverWait(self.driver, 10).until(expected_conditions.url_contains("workload=python"))
        self.assertIn("workload=python", self.driver.current_url)
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR, "select[name=workload]").get_attribute("value"), "python")

    def test_markup_in_curated_text_shows_as_text(self):
        self.api("/v1/images/debian-trixie-slim?reason=browser%20test", method="PATCH",
                 body={"rationale": "<script>document.title='owned'</script><b>bold</b>"})
        self.open("/images/debian-trixie-slim")
        rationale = self.driver.find_element(By.CSS_SELECTOR, "dd.rationale")
        self.assertEqual(rationale.text, "<script>document.title='owned'</script><b>bold</b>")
        self.assertEqual(rationale.find_elements(By.CSS_SELECTOR, "script, b"), [])
        self.assertNotEqual(self.driver.title, "owned")

    def test_pages_send_a_content_security_policy_without_inline_scripts(self):
        for name, (path, _) in PAGES.items():
            with self.subTest(page=name):
                try:
                    response = urllib.request.urlopen(self.base + path)
                except urllib.error.HTTPError as error:
                    response = error
                policy = response.headers["Content-Security-Policy"]
                self.assertIn("script-src 'self'", policy)
                self.assertNotIn("unsafe-inline", policy)

    def test_axe_finds_no_serious_or_critical_violation(self):
        for name, (path, _) in PAGES.items():
            with self.subTest(page=name):
                self.open(path)
                axe = Axe(self.driver)
                axe.inject()
                results = axe.run()
                self.assertGreater(len(results["passes"]), 10, "axe ran its rules")
                bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"] if v["impact"] in ("serious", "critical")]
                self.assertEqual(bad, [], f"{name}: {bad}")


PAGES_SIGNED_IN = {"signin": "/signin", "review": "/review", "audit": "/audit"}


class Curating(Server):
    """Sign-in, the review queue and the audit page, as a curator meets them."""

    def sign_in(self, token, next_page="/review"):
        self.driver.delete_all_cookies()
        self.open("/signin?next=" + next_page)
        self.driver.find_element(By.NAME, "token").send_keys(token)
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form.signin button[type=submit]"))

    def submit(self, button):
        """Clicks a form's button and waits for the page it leads to: until the button is no
        longer in the document. ChromeDriver sometimes says so with "Node with given id does
        not belong to the document" instead of a stale-element error: that is the same answer."""
        button.click()

        def gone(driver):
            try:
                return expected_conditions.staleness_of(button)(driver)
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return True
                raise

        WebDriverWait(self.driver, 10).until(gone)

    def verdict(self, digest):
        try:
            with urllib.request.urlopen(f"{self.base}/v1/digests/{digest}") as response:
                return json.load(response)["verdict"]
        except urllib.error.HTTPError as error:
            return json.load(error)["verdict"]

    def audit_count(self):
        request = urllib.request.Request(self.base + "/v1/audit?limit=1000", headers={"Authorization": "Bearer " + self.admin})
        with urllib.request.urlopen(request) as response:
            return len(json.load(response)["items"])

    def test_sign_in_approve_from_the_queue_and_see_it_on_the_digest_and_audit_pages(self):
        self.driver.delete_all_cookies()
        self.driver.get_log("browser")  # what earlier tests logged (their refusals) is theirs
        self.open("/review")
        self.assertIn("/signin", self.driver.current_url, "the queue asks for sign-in")
        self.sign_in("plinth_0000000000000000_" + "x" * 43)
        self.assertIn("not a valid Plinth token", self.driver.page_source)
        self.driver.get_log("browser")  # that refusal's 401 is expected
        self.sign_in(self.admin)
        self.assertTrue(self.driver.current_url.endswith("/review"))
        cookie = self.driver.get_cookie("plinth_session")
        self.assertTrue(cookie["httpOnly"])
        self.assertEqual(cookie["sameSite"], "Strict")
        queued = self.driver.find_elements(By.CSS_SELECTOR, "section.queued")
        self.assertGreater(len(queued), 0, "the seeded catalog has digests pending under a manual policy")
        section = queued[0]
        digest = section.get_attribute("data-digest")
        self.assertEqual(self.verdict(digest), "pending")
        form = section.find_element(By.CSS_SELECTOR, "form[action='/review/approve']")
        form.find_element(By.NAME, "reason").send_keys("reviewed in the browser test")
        self.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        # The digest page shows the new verdict; the audit page shows the event, by the token.
        self.assertIn("/digests/" + digest, self.driver.current_url)
        self.assertNotEqual(self.driver.find_element(By.ID, "verdict").text.lower(), "pending")
        self.assertEqual(self.verdict(digest), self.driver.find_element(By.ID, "verdict").text.lower())
        self.open("/audit?action=digest.approve")
        self.assertIn("The chain verifies", self.driver.find_element(By.ID, "verification").text)
        rows = [row.text for row in self.driver.find_elements(By.CSS_SELECTOR, "table.audit tbody tr")]
        self.assertTrue(any("token:root" in row and "reviewed in the browser test" in row and digest in row for row in rows), rows)
        self.assertEqual(self.console_errors(), [])
        # Sign-out ends the session.
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form.signout button"))
        self.open("/review")
        self.assertIn("/signin", self.driver.current_url)

    def test_a_stale_or_missing_csrf_token_is_refused_and_changes_nothing(self):
        self.sign_in(self.token)
        before = self.audit_count()
        for tamper in ("arguments[0].value = 'stale-token'", "arguments[0].remove()"):
            with self.subTest(tamper=tamper):
                self.open("/review")
                section = self.driver.find_elements(By.CSS_SELECTOR, "section.queued")[-1]
                digest = section.get_attribute("data-digest")
                form = section.find_element(By.CSS_SELECTOR, "form[action='/review/revoke']")
                self.driver.execute_script(tamper, form.find_element(By.NAME, "csrf"))
                form.find_element(By.NAME, "reason").send_keys("should not happen")
                self.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
                self.assertIn("403", self.driver.find_element(By.TAG_NAME, "h1").text)
                self.assertEqual(self.verdict(digest), "pending")
                self.assertEqual(self.audit_count(), before)
        # A curator's session does not open the audit page.
        self.open("/audit")
        self.assertIn("403", self.driver.find_element(By.TAG_NAME, "h1").text)
        # Sign-in itself needs its form's token: a bare POST is refused.
        request = urllib.request.Request(self.base + "/signin", data=urllib.parse.urlencode({"token": self.token, "csrf": "x"}).encode(), method="POST")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        self.assertEqual(refused.exception.code, 403)


    def test_screenshots_at_desktop_and_phone_width_light_and_dark(self):
        self.sign_in(self.admin)
        pages = {name: path for name, (path, _) in PAGES.items()} | PAGES_SIGNED_IN
        for scheme in ("light", "dark"):
            self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
            for width, label in ((1280, "desktop"), (390, "phone")):
                self.driver.set_window_size(width, 900)
                for name, path in pages.items():
                    self.open(path)
                    height = self.driver.execute_script("return document.documentElement.scrollHeight")
                    self.driver.set_window_size(width, min(max(height, 600), 6000))
                    self.assertTrue(self.driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}-{label}-{scheme}.png")))
                    if label == "phone":
                        overflow = self.driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                        self.assertLessEqual(overflow, 0, f"{name} scrolls sideways at {width}px")
        self.driver.set_window_size(1280, 900)

    def test_axe_on_the_curators_pages(self):
        self.sign_in(self.admin)
        for name, path in PAGES_SIGNED_IN.items():
            with self.subTest(page=name):
                self.open(path)
                axe = Axe(self.driver)
                axe.inject()
                results = axe.run()
                bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"] if v["impact"] in ("serious", "critical")]
                self.assertEqual(bad, [], f"{name}: {bad}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
