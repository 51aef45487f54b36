"""A real browser (Debian's headless chromium through Selenium and its matching
chromedriver) against a real uvicorn server on 127.0.0.1: for each role, log in (with the
one-time code where the role needs one, computed with pyotp from the user's secret), do its
main task, and check what the page shows against the command line's answer for the same
question. Screenshots of each main page go to a folder the run prints at its end.

One server and one browser for the whole module; a few tests (well under a minute).
``SOCAI_SKIP_BROWSER=1`` skips them (``make test-fast``); without it a missing chromium is a
failure that says to run scripts/install-services.sh, never a silent skip.
"""

from __future__ import annotations

import base64
import html as markup
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from domain.access.policy import PERSONAL_DATA_ROLES
from domain.access.roles import Role
from infra.scenario.staff import TEST_PASSWORDS
from infra.services.socai import Socai
from infra.web import i18n
from infra.web.app import create_app
from tests.infra.web.conftest import CliRunnerOnce, World, cli, cli_json

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hong_ngu_2016_2020.csv"

if os.environ.get("SOCAI_SKIP_BROWSER") == "1":  # the one switch (make test-fast)
    pytest.skip("SOCAI_SKIP_BROWSER=1", allow_module_level=True)
# A missing browser is a failure, never a silent skip: CI must not pass without these tests.
_missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
if _missing:
    pytest.fail(
        f"{', '.join(_missing)} not installed: run scripts/install-services.sh (Debian"
        " chromium, chromium-driver), or set SOCAI_SKIP_BROWSER=1",
        pytrace=False,
    )

from selenium import webdriver  # noqa: E402  (only when a browser is there)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    import uvicorn

    socai = Socai(world.settings, passwords=TEST_PASSWORDS)
    port = _free_port()
    config = uvicorn.Config(create_app(socai, world.settings), host="127.0.0.1", port=port,
                            access_log=False, log_level="warning", lifespan="off")  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)
    socai.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    request.config.socai_web_screenshots = folder  # printed at the end (conftest.py)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1366,768", "--lang=vi"):  # fmt: skip
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _user(world: World, role: Role, scope: str = "VN", test: str = "BROWSER") -> dict[str, str]:
    """A user made for one browser test (so its first one-time code is unused)."""
    admin = world.app.access.authenticate(world.tokens[(Role.ADMINISTRATOR, "in")])
    name = f"WEB-{test}-{role.value.upper()}"
    creds = world.app.access.register(admin, name, "procuracy",
                                      second_factor=role in PERSONAL_DATA_ROLES)  # fmt: skip
    world.app.access.grant(admin, name, role, scope, "QĐ-WEB-TEST")
    return {"username": name, "password": str(creds.password), "secret": creds.totp_secret or ""}


def _login(driver: webdriver.Chrome, base: str, user: dict[str, str], page: str = "/") -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/login?next={page}")
    driver.find_element(By.ID, "username").send_keys(user["username"])
    driver.find_element(By.ID, "password").send_keys(user["password"])
    if user["secret"]:
        driver.find_element(By.ID, "totp").send_keys(pyotp.TOTP(user["secret"]).now())
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def _same_origin_only(driver: webdriver.Chrome, base: str) -> None:
    """Every resource the page loaded came from this server; no CSP violation was logged."""
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "the page loaded its stylesheet and htmx"
    assert all(url.startswith(base + "/") for url in loaded), loaded
    refused = [
        e["message"] for e in driver.get_log("browser") if "Content Security" in e["message"]
    ]
    assert not refused, refused


def _fits(driver: webdriver.Chrome) -> None:
    """The page's header and forms fit a 1366-pixel laptop screen (wide tables scroll inside
    their own box)."""
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 1366, width


def _prints(driver: webdriver.Chrome, shots: Path, name: str, table: str) -> None:
    """As printed (A4 landscape): the menu and forms are gone, the table is there; the PDF
    is saved beside the screenshots."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, "form.filters").is_displayed()
        assert driver.find_element(By.ID, table).is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    options = PrintOptions()
    options.orientation = "landscape"
    (shots / f"{name}.pdf").write_bytes(base64.b64decode(driver.print_page(options)))


def test_inspector_reads_a_timeline_and_checks_a_proof(
    world: World, server: str, browser: webdriver.Chrome, shots: Path
) -> None:
    _login(browser, server, _user(world, Role.INSPECTOR), "/cases")
    browser.find_element(By.ID, "f-unit").send_keys(world.case_unit)
    browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(browser, 10).until(lambda d: "unit=" in d.current_url)
    browser.find_element(By.LINK_TEXT, world.case).click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith(f"/cases/{world.case}"))
    assert browser.find_element(By.TAG_NAME, "h1").text.endswith(world.case)
    _fits(browser)
    browser.save_screenshot(str(shots / "inspector-timeline.png"))
    versions = [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr td:first-child")
    ]
    history = cli_json(world, Role.INSPECTOR, "case", "history", world.case)
    assert versions == [str(e["version"]) for e in history["events"]]
    here = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "a.check-proof").click()  # htmx: the same page
    result = WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".proof-result"))
    )
    assert result.text.strip().startswith("verified"), result.text
    assert browser.current_url == here, "htmx swapped the result into the page"
    _same_origin_only(browser, server)
    browser.get(f"{server}/audit")
    browser.find_element(By.ID, "verify-now").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/audit/verify"))
    assert browser.find_element(By.ID, "last-verify").text.startswith("intact")
    browser.save_screenshot(str(shots / "inspector-audit.png"))


def test_case_officer_reads_personal_data_for_a_purpose(
    world: World, server: str, browser: webdriver.Chrome, shots: Path
) -> None:
    _login(browser, server, _user(world, Role.CASE_OFFICER, "82"), f"/cases/{world.case}")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Dữ liệu cá nhân").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/person"))
    Select(browser.find_element(By.ID, "purpose")).select_by_value("case_management")
    browser.save_screenshot(str(shots / "case-officer-purpose.png"))  # before any data shows
    browser.find_element(By.ID, "read-personal").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.ID, "personal"))
    )
    cells = browser.find_elements(By.CSS_SELECTOR, "#personal tbody tr")
    shown = {c.find_elements(By.TAG_NAME, "td")[0].text: c.find_elements(By.TAG_NAME, "td")[1].text
             for c in cells}  # fmt: skip
    answer = cli_json(world, Role.CASE_OFFICER, "case", "person", world.case, "--purpose",
                      "case_management")  # fmt: skip
    assert shown == {r["field"]: r["value"] for r in answer["rows"]}
    assert "/person" in browser.current_url and "case_management" not in browser.current_url


def test_finance_officer_reconciles_and_drills_down(
    world: World, server: str, browser: webdriver.Chrome, shots: Path
) -> None:
    _login(browser, server, _user(world, Role.FINANCE_OFFICER), "/finance")
    answer = cli_json(world, Role.FINANCE_OFFICER, "finance", "reconcile")
    for measure, value in answer["total"].items():
        assert browser.find_element(By.ID, f"total-{measure}").text == i18n.number(value)
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.disbursed")
    _fits(browser)
    browser.save_screenshot(str(shots / "finance-reconciliation.png"))
    _prints(browser, shots, "finance-reconciliation", "reconciliation")
    _same_origin_only(browser, server)
    link = next(
        a for a in browser.find_elements(By.CSS_SELECTOR, 'td[data-measure="disbursed"] a')
        if a.text != "0"
    )  # fmt: skip
    figure = link.text
    link.click()
    WebDriverWait(browser, 10).until(lambda d: "/finance/behind" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "#behind tbody tr")
    assert rows
    disbursed = sum(int(r.find_elements(By.TAG_NAME, "td")[9].text.replace(".", "") or 0)
                    for r in rows)  # fmt: skip
    assert i18n.number(disbursed) == figure
    browser.save_screenshot(str(shots / "finance-behind.png"))


def test_statistician_reads_the_form_and_checks_an_upload(
    world: World, server: str, browser: webdriver.Chrome, shots: Path, tmp_path: Path
) -> None:
    _login(browser, server, _user(world, Role.STATISTICIAN), "/reports/rollup?unit=old:870")
    assert browser.find_element(By.TAG_NAME, "h1").text == "BIỂU TỔNG HỢP SỐ LIỆU"
    first = browser.find_elements(By.CSS_SELECTOR, "#rollup tbody tr")[0]
    answer = cli_json(world, Role.STATISTICIAN, "rollup", "--unit", "old:870", "--period",
                      "2016-2020")  # fmt: skip
    assert first.find_elements(By.TAG_NAME, "td")[1].text == answer["rows"][0]["label_vi"]
    _fits(browser)
    browser.save_screenshot(str(shots / "statistician-rollup.png"))
    _prints(browser, shots, "statistician-rollup", "rollup")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(EXAMPLE.read_text(encoding="utf-8").replace("II.1,3,1,1,1,1,7",
                                                                  "II.1,3,1,1,1,1,9"))  # fmt: skip
    browser.get(f"{server}/reports/check")
    browser.find_element(By.ID, "file").send_keys(str(wrong))
    browser.find_element(By.ID, "unit").send_keys("old:870")
    browser.find_element(By.ID, "check-submit").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.ID, "findings"))
    )
    highlighted = browser.find_elements(By.CSS_SELECTOR, "#checked td.wrong")
    assert highlighted
    result = CliRunnerOnce().invoke(cli, ["quality", "check", str(wrong), "--unit", "old:870"])
    listed = [markup.unescape(" ".join(li.text.split()))
              for li in browser.find_elements(By.CSS_SELECTOR, "#findings li")]  # fmt: skip
    assert listed == [" ".join(x.split()) for x in result.stdout.splitlines() if x.strip()]
    browser.save_screenshot(str(shots / "statistician-check.png"))


def test_data_protection_officer_reads_the_access_log_of_a_case(
    world: World, server: str, browser: webdriver.Chrome, shots: Path
) -> None:
    _login(browser, server, _user(world, Role.DATA_PROTECTION_OFFICER), f"/cases/{world.case}")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Nhật ký truy cập").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/access"))
    shown = [r.find_elements(By.TAG_NAME, "td")[0].text
             for r in browser.find_elements(By.CSS_SELECTOR, "#access-log tbody tr")]  # fmt: skip
    answer = cli_json(world, Role.DATA_PROTECTION_OFFICER, "access", "log", "--case", world.case)
    assert shown == [str(e["position"]) for e in answer["rows"]]
    browser.save_screenshot(str(shots / "data-protection-officer-access-log.png"))


def test_supervisor_sees_cases_and_reports_administrator_neither(
    world: World, server: str, browser: webdriver.Chrome, shots: Path
) -> None:
    _login(browser, server, _user(world, Role.SUPERVISOR, "82"), "/reports/kpi?unit=2025:82")
    menu = {a.get_attribute("href").removeprefix(server) for a in
            browser.find_elements(By.CSS_SELECTOR, "nav a")}  # fmt: skip
    assert {"/cases", "/reports/kpi", "/audit"} <= menu and "/finance" not in menu
    answer = cli_json(world, Role.SUPERVISOR, "kpi", "--unit", "2025:82")
    values = [r.find_elements(By.TAG_NAME, "td")[2].text
              for r in browser.find_elements(By.CSS_SELECTOR, "#kpis tbody tr")]  # fmt: skip
    assert values == [k["value"] for k in answer["rows"]]
    browser.save_screenshot(str(shots / "supervisor-kpi.png"))
    _login(browser, server, _user(world, Role.ADMINISTRATOR), "/cases")
    assert "not allowed" in browser.find_element(By.CSS_SELECTOR, ".error").text
    menu = {a.get_attribute("href").removeprefix(server) for a in
            browser.find_elements(By.CSS_SELECTOR, "nav a")}  # fmt: skip
    assert menu == {"/audit"}


def test_a_service_user_cannot_log_in_through_the_form(
    world: World, server: str, browser: webdriver.Chrome
) -> None:
    service = world.user(Role.STREAM_SERVICE)
    browser.delete_all_cookies()
    browser.get(f"{server}/login")
    browser.find_element(By.ID, "username").send_keys(service["username"])
    browser.find_element(By.ID, "password").send_keys("anything")
    browser.find_element(By.ID, "login-submit").click()
    assert "unknown user or wrong password" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert browser.get_cookie("socai_session") is None


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
#: The rules checked: WCAG 2.0 and 2.1, levels A and AA (labels, headings, contrast, names,
#: language, tables...), as axe-core tags them.
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(result => done(result.violations.map(v => [v.id, v.impact,
      v.nodes.slice(0, 3).map(n => n.target.join(' '))])))
  .catch(error => done([['axe-error', 'critical', [String(error)]]]));
"""


def _accessibility_violations(driver: webdriver.Chrome) -> list[list[object]]:
    """axe-core's WCAG 2.1 A/AA violations of the page as it is shown (rule, impact, where)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(30)
    found = driver.execute_async_script(AXE_RUN)
    assert isinstance(found, list)
    return found


def test_the_main_pages_pass_the_accessibility_checker(
    world: World, server: str, browser: webdriver.Chrome
) -> None:
    """Each main page, in Vietnamese and one in English, has no WCAG 2.1 A/AA violation that
    axe-core (the maintained checker, vendored for the tests and checked by its hash) finds:
    labels on every input, headings in order, contrast, names of links and buttons, the
    page's language, table headers."""
    import hashlib

    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256, "axe.min.js was altered"
    browser.delete_all_cookies()
    browser.get(f"{server}/login")
    pages = {"/login": _accessibility_violations(browser)}
    _login(browser, server, _user(world, Role.INSPECTOR, test="AXE"), "/")
    for page in (
        "/",
        f"/cases?unit={world.case_unit}",
        f"/cases/{world.case}",
        f"/cases/{world.case}/access",
        "/audit",
        "/finance",
        "/reports/rollup?unit=old:870",
        "/reports/kpi?unit=2025:82",
        "/reports/check",
    ):
        browser.get(f"{server}{page}")
        pages[page] = _accessibility_violations(browser)
    browser.get(f"{server}/lang/en?next=/finance")
    pages["/finance (English)"] = _accessibility_violations(browser)
    failing = {page: found for page, found in pages.items() if found}
    assert failing == {}
    # the checker sees what it should: an input without a label, planted, is a violation
    browser.execute_script("document.querySelector('main').insertAdjacentHTML("
                           "'beforeend', '<input id=\"unlabelled\">')")  # fmt: skip
    planted = _accessibility_violations(browser)
    assert [v[0] for v in planted] == ["label"], planted
