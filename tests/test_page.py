"""The page, driven in a real headless Chromium (Debian's chromium + chromium-driver, through Selenium), as a
person would use it: upload the demo portrait and speech, choose happy, generate, and watch the video."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.test_serve import TOKEN, Server

pytest.importorskip("fastapi", reason="needs the web extra")
CHROMIUM, DRIVER = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and DRIVER) or not _has_selenium():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the page test needs chromium, chromium-driver and selenium; .ci/run installs them")
        pytest.skip("chromium / chromium-driver / selenium not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--use-fake-device-for-media-stream",  # a fake microphone (a tone) that needs no permission prompt
        "--use-fake-ui-for-media-stream",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # network off: no host but this one resolves
    ):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def _has_selenium() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True


def _generate(browser) -> None:
    """Press Generate and wait until the page says the job is done (its error line, if it failed)."""
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "generate").click()
    state = _until(
        lambda: browser.execute_script(
            "const s = document.getElementById('output').dataset.state; return ['done','failed'].includes(s) && s"
        ),
        180,
        "the job to finish",
    )
    assert state == "done", browser.find_element(By.ID, "error").text


def _until(check, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_page_generates_a_playable_video(browser, tmp_path, demo_portrait, demo_audio):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from emohead.video.io import probe

    server = Server(tmp_path / "tmp", "--workers", "1")
    try:
        browser.get(f"{server.url}/?token={TOKEN}")
        _until(lambda: browser.execute_script("return document.body.dataset.ready") == "1", 30, "the page to load the model list")
        # options the chosen model cannot honour are disabled, not ignored
        assert not browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=label]").get_attribute("disabled")
        assert browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=voice]").get_attribute("disabled")
        model = Select(browser.find_element(By.ID, "model"))
        assert not browser.find_element(By.ID, "matrix").is_displayed()
        assert not browser.find_element(By.ID, "heard").is_displayed()
        model.select_by_value("eapc")
        assert not browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=voice]").get_attribute("disabled")
        assert browser.find_element(By.ID, "heard").is_displayed()  # a landmark model may hear the voice for its mouth
        model.select_by_value("emospeaker")  # its intensity-matrix cell appears; voice is not one of its kinds
        assert browser.find_element(By.ID, "matrix").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=voice]").get_attribute("disabled")
        assert not browser.find_element(By.ID, "auto-intensity-row").is_displayed()
        model.select_by_value("medtalk")  # descriptions are its kind; it offers to read the intensity from the voice
        assert not browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=text]").get_attribute("disabled")
        assert browser.find_element(By.ID, "auto-intensity-row").is_displayed()
        assert not browser.find_element(By.ID, "diffusion").is_displayed()
        model.select_by_value("mfetalk")  # a diffusion model: its sampler's steps and guidance appear
        assert browser.find_element(By.ID, "diffusion").is_displayed()
        assert not browser.find_element(By.ID, "heard").is_displayed()
        model.select_by_value("analytic")
        assert browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=text]").get_attribute("disabled")

        browser.find_element(By.ID, "portrait").send_keys(str(demo_portrait))
        browser.find_element(By.ID, "audio").send_keys(str(demo_audio))
        browser.find_element(By.CSS_SELECTOR, "input[name=kind][value=label]").click()
        Select(browser.find_element(By.ID, "emotion")).select_by_value("happy")
        _generate(browser)
        assert browser.find_element(By.ID, "error").text == ""
        assert model.first_selected_option.text == "analytic"
        ready, seconds = _until(
            lambda: (
                (v := browser.execute_script("const v = document.getElementById('video'); return [v.readyState, v.duration]"))[0] >= 1 and v
            ),
            30,
            "the video to load",
        )
        assert abs(seconds - probe(demo_audio)["duration"]) < 0.1, "the video's duration does not match the speech"
        assert browser.execute_script("return document.getElementById('preview').naturalWidth") == 7 * 256
        for link in ("dl-video", "dl-npz", "dl-csv"):
            assert browser.find_element(By.ID, link).get_attribute("href").startswith("blob:")
        # offline: every request the page made went to this server
        requests = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert requests and all(r.startswith(server.url) or r.startswith("blob:") for r in requests), requests
        browser.execute_script("window.scrollTo(0, 0)")
        browser.execute_script("const v = document.getElementById('video'); v.muted = true; v.currentTime = 2.2;")
        _until(
            lambda: browser.execute_script("const v = document.getElementById('video'); return !v.seeking && v.readyState >= 2"),
            20,
            "a frame",
        )
        time.sleep(0.5)
        shot = Path(os.environ.get("EMOHEAD_PAGE_SHOT", tmp_path / "page.png"))
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        server.stop()


@pytest.mark.slow
def test_page_records_from_the_microphone(browser, tmp_path):
    from selenium.webdriver.common.by import By

    server = Server(tmp_path / "tmp", "--workers", "1")
    try:
        browser.get(f"{server.url}/?token={TOKEN}")
        _until(lambda: browser.execute_script("return document.body.dataset.ready") == "1", 30, "the page to load")
        browser.find_element(By.ID, "example-portrait").click()
        browser.find_element(By.ID, "record").click()
        _until(lambda: browser.find_element(By.ID, "record").text == "Stop recording", 10, "the recording to start")
        time.sleep(2.5)
        browser.find_element(By.ID, "record").click()
        _until(lambda: browser.execute_script("return document.getElementById('audio-player').style.display") == "block", 10, "the take")
        _generate(browser)
        seconds = _until(
            lambda: browser.execute_script("const v = document.getElementById('video'); return v.readyState >= 1 && v.duration"),
            30,
            "the video",
        )
        assert 2.0 < seconds < 4.0, f"a 2.5 s take gave a {seconds} s video"
    finally:
        server.stop()
