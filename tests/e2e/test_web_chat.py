"""Over the running stack, in Debian's headless Chromium: a worker opens the public web chat
(/chat), types a question without diacritics and reads the cited answer from Rasa.

The page talks to Rasa's REST channel at RASA_PUBLIC_URL (the stack points it at its own Rasa).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import REPO_ROOT
from tests.support.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"


@pytest.fixture()
def page() -> Iterator[object]:
    """A fresh headless Chromium page (Vietnamese locale)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed for the web chat test: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="vi-VN", viewport={"width": 900, "height": 900})
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def test_web_chat_answers_minimum_wage_with_source(stack: Stack, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{stack.backend_url}/chat")
    assert page.get_attribute("#chat", "data-rasa-url") == stack.rasa_url
    page.fill("#message", "luong toi thieu vung 1")
    page.click("#send-form button[type=submit]")
    page.wait_for_selector(".bubble.user")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.bubble.bot')).some(b => b.textContent.includes('5.310.000'))",
        timeout=60_000,
    )
    answers = page.locator(".bubble.bot").all_inner_texts()
    answer = next(text for text in answers if "5.310.000" in text)
    assert answer.startswith("Dạ")
    assert "293/2025/NĐ-CP" in " ".join(answers)  # the answer cites its legal basis
    assert page.inner_text("#status") == ""  # no "cannot be reached" notice
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "web_chat_answer.png"), full_page=True)
