"""End-to-end: the classroom dashboard driven in headless Chromium, as a teacher would use it.

Starts `custsim-dashboard` on a free localhost port (a subprocess), opens it in
Debian's /usr/bin/chromium through Playwright (no browser download), moves the
loss-aversion slider (whose label shows its value at rest), presses Reset and
Step, checks the step counter and every chart changed, applies a "Things to try"
experiment, plays and pauses, and saves a screenshot; then plays a short run to
its last day (the page says the run is complete, no error), opens an unknown
experiment (the page says so and lists the experiments), and opens the experience
chain's experiment (its chart and numbers appear; service failures back at 0 and a
Reset take them away). With
CUSTSIM_README_SCREENSHOT=1 it also plays on and refreshes docs/img/dashboard.png
for the README.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
README_SHOT = ROOT / "docs" / "img" / "dashboard.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHARTS = ("sales", "prices", "active", "points", "network")
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser test needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_command(port: int) -> list[str]:
    """The documented console script (the module when the script is not on disk)."""
    script = Path(sys.executable).with_name("custsim-dashboard")
    base = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "custsim.experiments.dashboard"]
    )
    return [*base, "--host", "127.0.0.1", "--port", str(port), "--no-open"]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"custsim-dashboard exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"custsim-dashboard did not answer at {url} in {seconds} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            dashboard_command(port), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chart_images(page: Page) -> dict[str, str]:
    """The current image source of every chart."""
    images = {name: page.locator(f".custsim-chart-{name} img") for name in CHARTS}
    return {name: image.get_attribute("src") for name, image in images.items()}


def status(page: Page) -> str:
    return page.locator(".custsim-status").inner_text()


def wait_for_status(page: Page, pattern: str) -> str:
    """Wait until the status line matches `pattern` (regex); return it."""
    regex = re.compile(pattern)
    page.locator(".custsim-status", has_text=regex).wait_for(timeout=TIMEOUT_MS)
    return status(page)


def wait_for_new_images(page: Page, before: dict[str, str]) -> dict[str, str]:
    """Wait until every chart shows a new image."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while (now := chart_images(page)) and any(now[k] == before[k] for k in CHARTS):
        if time.monotonic() > deadline:
            unchanged = [k for k in CHARTS if now[k] == before[k]]
            pytest.fail(f"charts did not change: {unchanged}")
        page.wait_for_timeout(200)
    return now


def slider_value(page: Page, label: str) -> float:
    return float(page.get_by_role("slider", name=label).get_attribute("aria-valuenow"))


def click_slider(page: Page, label: str, fraction: float) -> float:
    """Click a slider's track at `fraction` of its length, as a person would; its new value."""
    slider = page.get_by_role("slider", name=label)
    box = page.locator(".v-slider", has=slider).bounding_box()
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
    return slider_value(page, label)


def reset_until(page: Page, pattern: str, tries: int = 5) -> str:
    """Press Reset until the status matches `pattern`.

    The browser coalesces a slider's key presses into updates sent one at a time, each
    after the server acknowledged the previous one; a Reset pressed at once can overtake
    the last of them (a person pressing Reset a second later never sees this).
    """
    for _ in range(tries):
        page.get_by_role("button", name="Reset").click()
        try:
            page.locator(".custsim-status", has_text=re.compile(pattern)).wait_for(timeout=5000)
            return status(page)
        except sync_api.TimeoutError:
            continue
    pytest.fail(f"status never matched {pattern!r} after Reset: {status(page)!r}")


def day_of(text: str) -> int:
    return int(re.search(r"Day (\d+) of", text).group(1))


def slider_label(page: Page, label: str) -> str:
    """The visible label of the slider whose label starts with `label`."""
    slider = page.get_by_role("slider", name=label)
    return page.locator(".v-input", has=slider).locator("label").first.inner_text()


def label_after_change(page: Page, label: str, expected: str, seconds: float = 15) -> str:
    """The slider's label once the server has re-rendered it (or the last seen, at timeout).

    A moved slider's value reaches the server and comes back as a new label a moment
    later, longer on a loaded machine; a person sees it change, a test must wait for it.
    """
    deadline = time.monotonic() + seconds
    seen = slider_label(page, label)
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = slider_label(page, label)
    return seen


def check_run_ends_cleanly(page: Page) -> None:
    """The shortest run (30 days) played to its end: complete, no error, buttons off."""
    days = click_slider(page, "Run length", 0.0)
    assert days == 30
    assert label_after_change(page, "Run length", "Run length: 30 days") == "Run length: 30 days"
    reset_until(page, r"Day 0 of 30 ")
    page.get_by_role("button", name="▶").click()
    text = wait_for_status(page, r"Day 30 of 30 · run complete")
    assert "press Reset" in text
    page.wait_for_timeout(1000)  # a step past the last day would show Mesa's error now
    assert page.get_by_text("error in step").count() == 0
    assert day_of(status(page)) == 30
    assert page.get_by_role("button", name="Step").is_disabled()


def check_chain_experiment(page: Page, url: str) -> None:
    """The satisfied_leave experiment: the chain's chart and numbers, gone with the chain."""
    page.goto(url + "?preset=satisfied_leave")
    wait_for_status(page, r"Day 0 of 365.*policy edlp.*A's service fails 5%, habit 1 ")
    failures = "Firm A's service failures: 5% of purchases"
    assert slider_label(page, "Firm A's service failures") == failures
    assert slider_label(page, "Habit weight") == "Habit weight: 1.0"
    page.locator(".custsim-chart-chain img").wait_for()
    page.get_by_role("button", name="Step").click()
    wait_for_status(page, r"Day 7 of 365")
    why = page.locator(".custsim-chain")
    why.wait_for()
    assert "Why customers go:" in why.inner_text() and "switches away from A" in why.inner_text()
    # service failures back to 0 and Reset: the chain is off, its chart and line are gone
    assert click_slider(page, "Firm A's service failures", 0.0) == 0
    off = "Firm A's service failures: 0% of purchases"
    assert label_after_change(page, "Firm A's service failures", off) == off
    reset_until(page, r"Day 0 of 365 .*social 0\.5 · seed 0")
    page.locator(".custsim-chart-sales img").wait_for()
    assert page.locator(".custsim-chart-chain").count() == 0
    assert page.locator(".custsim-chain").count() == 0


def test_dashboard_in_a_browser(dashboard_url: str, tmp_path: Path) -> None:
    failed: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        page.set_default_timeout(TIMEOUT_MS)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(dashboard_url)
        wait_for_status(page, r"Day 0 of 365")
        page.locator(".custsim-chart-network img").wait_for()
        # every slider shows its value (and unit) before anyone touches it
        assert slider_label(page, "Loss aversion λ") == "Loss aversion λ: 2.25×"
        assert slider_label(page, "Discount depth") == "Discount depth: 25% off"
        assert slider_label(page, "Customers") == "Customers: 2,000"
        assert slider_label(page, "Render interval") == "Render interval: 7 days"
        assert page.locator(".custsim-notice").count() == 0

        # a teacher raises loss aversion (default 2.25) and rebuilds the model with Reset
        lam = click_slider(page, "Loss aversion λ", 0.85)
        assert 3.0 < lam <= 4.0
        moved = f"Loss aversion λ: {lam:.2f}×"
        assert label_after_change(page, "Loss aversion λ", moved) == moved
        reset_until(page, rf"Day 0 of 365.*λ {re.escape(f'{lam:g}')},")
        before = chart_images(page)

        # one Step advances one render interval (7 days): counter and every chart move on
        page.get_by_role("button", name="Step").click()
        wait_for_status(page, r"Day 7 of 365")
        page.get_by_text("Time: 7").wait_for()  # Mesa's own step counter agrees
        assert "unit share so far" in page.locator(".custsim-numbers").inner_text()
        wait_for_new_images(page, before)

        # a "Things to try" experiment opens the dashboard with its controls set
        page.get_by_role("link", name="Herding with strong social influence").click()
        page.wait_for_url(re.compile(r"\?preset=herding$"))
        text = wait_for_status(page, r"Day 0 of 365.*social 10 ")
        assert "policy edlp" in text
        assert "λ 2.25" in text  # the experiment resets what the teacher had changed
        assert slider_value(page, "Social weight") == 10
        assert slider_value(page, "Loss aversion λ") == 2.25
        page.get_by_text("Look for:").wait_for()
        page.locator(".custsim-chart-network img").wait_for()
        before_play = chart_images(page)

        # play, let a few weeks pass, pause
        page.get_by_role("button", name="▶").click()
        wait_for_status(page, r"Day ([2-9]\d|\d{3}) of")
        page.get_by_role("button", name="❚❚").click()
        wait_for_new_images(page, before_play)
        assert day_of(status(page)) >= 21
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        assert (tmp_path / "dashboard.png").stat().st_size > 10_000

        if os.environ.get("CUSTSIM_README_SCREENSHOT"):
            page.get_by_role("button", name="▶").click()
            wait_for_status(page, r"Day (1[5-9]\d|[2-9]\d\d) of")
            page.get_by_role("button", name="❚❚").click()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(README_SHOT))

        # Reset starts the experiment over: day 0, still the experiment's settings
        page.get_by_role("button", name="Reset").click()
        wait_for_status(page, r"Day 0 of 365.*policy edlp.*social 10 ")

        # the last day of a run: the page says the run is complete (no index error)
        check_run_ends_cleanly(page)

        # a link to an experiment that does not exist says so, and lists the experiments
        page.goto(dashboard_url + "?preset=nosuch")
        notice = page.locator(".custsim-notice")
        notice.wait_for()
        assert "no experiment called 'nosuch'" in notice.inner_text()
        assert "herding (Herding with strong social influence)" in notice.inner_text()
        wait_for_status(page, r"Day 0 of 365.*policy hi_lo")  # the defaults, as it says

        # the experience chain's experiment, and the chain switched off again
        check_chain_experiment(page, dashboard_url)
        browser.close()
    assert not failed, f"requests that failed (assets missing offline?): {failed}"
