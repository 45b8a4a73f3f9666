"""End to end: the running board in a real browser (Debian's chromium driven by Playwright).

Opens the board on the smoke scenario, checks the map drew the 20 regions and the ten
checkpoints, fails on any network request that leaves this machine, and saves a screenshot.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from contingency import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("CONTINGENCY_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = PROJECT_ROOT / "out" / "e2e"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def board_url():
    port = _free_port()
    log = ARTIFACTS / "streamlit.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"the board did not start; see {log}") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _counts(page) -> tuple[int, int]:
    for frame in page.frames:
        if "st_folium" in frame.url:
            return frame.evaluate(
                "() => [document.querySelectorAll('path.region').length,"
                " document.querySelectorAll('path.checkpoint').length]"
            )
    return (0, 0)


FAR_SIDE = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  let popup = '';
  map.eachLayer(l => {
    if (!popup && l.options && l.options.className === 'checkpoint' && l.getPopup()) {
      const content = l.getPopup().getContent();
      if (content.includes('Жибек')) { l.openPopup(); popup = document.querySelector('.leaflet-popup-content').innerText; }
    }
  });
  return {
    rings: document.querySelectorAll('path.checkpoint-far').length,
    labels: [...document.querySelectorAll('.checkpoint-km')].map(e => e.innerText),
    popup: popup,
  };
}"""


def _far_side(page) -> dict:
    """The far-side rings, the queue labels and Zhibek Zholy's popup text on the board map."""
    for frame in page.frames:
        if "st_folium" in frame.url:
            return frame.evaluate(FAR_SIDE)
    return {"rings": 0, "labels": [], "popup": ""}


def test_board_in_a_real_browser_draws_the_map_offline(board_url):
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{board_url}/?scenario=smoke.yaml")
        deadline = time.monotonic() + 90
        counts = (0, 0)
        while time.monotonic() < deadline:
            counts = tuple(_counts(page))
            if counts == (20, 10):
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(1000)
        body = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)
        far_side = _far_side(page)
        page.wait_for_timeout(500)  # the popup fades in
        page.screenshot(path=str(ARTIFACTS / "board-popup.png"), full_page=True)
        browser.close()
    assert counts == (20, 10), f"map drew {counts[0]} regions and {counts[1]} checkpoints"
    assert "Проверочный сценарий" in body  # the smoke scenario, in Russian
    outside = [
        u
        for u in requests
        if urlparse(u).scheme not in ("data", "blob", "about")
        and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert outside == [], f"requests left the machine: {outside[:10]}"
    assert any("/app/static/vendor/leaflet/leaflet.js" in u for u in requests)
    assert not errors, errors
    assert (ARTIFACTS / "board.png").stat().st_size > 10_000
    # the smoke board opens at its peak hour, when Zhibek Zholy queues on both sides: its
    # far-side ring (a dark edge under a coloured line), its km label and a popup per side
    assert far_side["rings"] >= 2, far_side
    assert any("у соседа" in x and "км" in x for x in far_side["labels"]), far_side
    assert "Сопредельная сторона" in far_side["popup"], far_side
    assert "Очередь, км" in far_side["popup"], far_side


KEYED_PARTS = ("gap_timeline", "shortfalls", "exercise_log")
"""Parts of the board found by their Streamlit key (the class ``st-key-<key>``)."""


def _choose(page, key: str, label: str) -> None:
    """Pick ``label`` in the select box with Streamlit key ``key`` (again if a redraw of the
    page swallowed the pick)."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(3):
        _idle(page)
        box = page.locator(f".st-key-{key} input[role='combobox']")
        if label in box.input_value():
            return
        try:
            box.click()
            box.press("Control+a")
            box.press_sequentially(label, delay=30)
            page.get_by_role("option").filter(has_text=label).first.click(timeout=10_000)
        except PlaywrightError:
            page.keyboard.press("Escape")
            continue
        page.wait_for_timeout(1000)
    _idle(page)
    assert label in page.locator(f".st-key-{key} input[role='combobox']").input_value()


def _wait_for(page, selector: str, *, seconds: float = 90, frame_text: str | None = None) -> bool:
    """Whether ``selector`` shows on the page (or, with ``frame_text``, whether the map frame's
    text holds it) within ``seconds``, with no interaction."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if frame_text is None and page.locator(selector).count():
            return True
        if frame_text is not None:
            for frame in page.frames:
                try:
                    if "st_folium" in frame.url and frame.locator(selector).count():
                        return True
                except PlaywrightError:  # the map was redrawn meanwhile: look again
                    continue
        page.wait_for_timeout(500)
    return False


def _open_controls(page, title: str) -> None:
    """Open the exercise control expander (titled ``title``) unless it is open."""
    if not page.locator(".st-key-ex_kind").is_visible():
        page.get_by_text(title).click()
        page.locator(".st-key-ex_kind").wait_for(state="visible", timeout=30_000)


def _idle(page, *, seconds: float = 120) -> None:
    """Wait until the page is not running its script (Streamlit's status widget gone)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not page.locator("[data-testid='stStatusWidget']").count():
            page.wait_for_timeout(800)
            if not page.locator("[data-testid='stStatusWidget']").count():
                return
        page.wait_for_timeout(300)


def _linked_exercise(page, *, seconds: float = 120) -> str | None:
    """The exercise id the page's link names, once it does (None after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = parse_qs(urlparse(page.url).query).get("exercise")
        if found:
            return found[0]
        page.wait_for_timeout(500)
    return None


def test_a_shared_exercise_reaches_a_second_screen_without_a_click(board_url):
    """The controller starts a shared exercise and closes Zhibek Zholy: its screen shows the
    closed symbol and the decision's effect; a wall display opened on ``?exercise=<id>`` shows
    the inject arrive by itself. No request leaves the machine."""
    from playwright.sync_api import sync_playwright

    from contingency.i18n import t

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        for pg in (page,):
            pg.on("request", lambda r: requests.append(r.url))
            pg.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{board_url}/?scenario=smoke.yaml")
        assert _wait_for(page, "path.checkpoint", frame_text="map")
        _idle(page)  # the whole page drawn, not only the map
        missing = [k for k in KEYED_PARTS if not page.locator(f".st-key-{k}").count()]
        assert not missing, f"parts not on the board: {missing}"
        exercise = None
        for _ in range(3):  # a click landing while the page is still being drawn may be lost
            _idle(page)
            _open_controls(page, t("exercise.title", "ru"))
            share = page.locator(".st-key-ex_share button")
            if not share.count():
                break
            share.click()
            exercise = _linked_exercise(page, seconds=40)  # the link names the exercise
            if exercise is not None:
                break
        if exercise is None:
            page.screenshot(path=str(ARTIFACTS / "exercise-share-failed.png"), full_page=True)
        assert exercise is not None, "starting a shared exercise did not put it in the link"

        wall = browser.new_page(viewport={"width": 1600, "height": 1000})
        wall.on("request", lambda r: requests.append(r.url))
        wall.on("pageerror", lambda e: errors.append(str(e)))
        wall.goto(f"{board_url}/?exercise={exercise}&wall=1")
        assert _wait_for(wall, "path.checkpoint", frame_text="map")
        assert not _wait_for(wall, ".checkpoint-closed-mark", seconds=2, frame_text="map")

        for _ in range(2):  # 12 h before the moment shown (smoke opens on its last hour)
            _idle(page)
            page.locator(".st-key-t_back button").click()
            page.wait_for_timeout(1500)
        _open_controls(page, t("exercise.title", "ru"))
        _choose(page, "ex_kind", t("inject.checkpoint_close", "ru"))
        _choose(page, "ex_target", "Жибек")
        _idle(page)
        page.locator(".st-key-ex_note input").fill("e2e: закрытие")
        page.locator(".st-key-ex_note input").press("Enter")  # the note is in before the click
        _idle(page)
        page.locator(".st-key-ex_add button").click()
        assert _wait_for(page, ".st-key-delta", seconds=120), "no delta view after the inject"
        _idle(page)
        page.locator(".st-key-t_fwd button").click()  # the hour after the closure
        assert _wait_for(page, ".checkpoint-closed-mark", seconds=60, frame_text="map")
        page.screenshot(path=str(ARTIFACTS / "exercise-controller.png"), full_page=True)

        # the wall display: no click, no reload
        assert _wait_for(wall, ".checkpoint-closed-mark", seconds=120, frame_text="map"), (
            "the inject did not reach the second screen"
        )
        # the log in the run store holds the inject with its note (tables draw on a canvas)
        from contingency.store.exercise import Exercise

        logged = Exercise(exercise, os.environ["CONTINGENCY_RUNS"]).entries()
        assert [e.action for e in logged] == ["start", "inject"]
        assert logged[-1].note == "e2e: закрытие"
        wall.screenshot(path=str(ARTIFACTS / "exercise-wall.png"))
        browser.close()
    outside = [
        u
        for u in requests
        if urlparse(u).scheme not in ("data", "blob", "about")
        and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert outside == [], f"requests left the machine: {outside[:10]}"
    assert not errors, errors
