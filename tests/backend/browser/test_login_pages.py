"""In a real browser: log in through the form, see the admin home, switch language, log out."""

from __future__ import annotations

from pathlib import Path

from tests.backend.browser.conftest import LiveBackend


def test_browser_login_home_language_logout(page, live_backend: LiveBackend, screenshot_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_backend.url}/admin")
    assert page.url.endswith("/login")
    page.fill("#email", live_backend.admin_email)
    page.fill("#password", "sai-mat-khau-roi")
    page.click("form[action='/login'] button[type=submit]")
    assert "Email hoặc mật khẩu không đúng." in page.inner_text(".alert.error")
    page.screenshot(path=str(screenshot_dir / "login_error.png"), full_page=True)

    page.fill("#email", live_backend.admin_email)
    page.fill("#password", live_backend.admin_password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{live_backend.url}/admin")
    assert "Xin chào" in page.inner_text("h1")
    nav = page.inner_text("nav.main")
    for label in ("Hội thoại", "Yêu cầu hỗ trợ", "Đơn vị", "Cán bộ", "Nhật ký"):
        assert label in nav
    page.screenshot(path=str(screenshot_dir / "admin_home_vi.png"), full_page=True)

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert "Log out" in page.inner_text("header")
    assert "Staff" in page.inner_text("nav.main")
    page.screenshot(path=str(screenshot_dir / "admin_home_en.png"), full_page=True)
    page.click("button[name=language][value=vi]")
    page.wait_for_load_state()

    page.click("text=Đăng xuất")
    page.wait_for_url(f"{live_backend.url}/login")
    page.goto(f"{live_backend.url}/admin")
    assert page.url.endswith("/login")


def test_browser_chat_page_renders(page, live_backend: LiveBackend, screenshot_dir: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_backend.url}/chat")
    assert "Trợ lý Công đoàn" in page.inner_text("header")
    page.fill("#message", "lương tối thiểu vùng 1 là bao nhiêu")
    page.click("#send-form button")
    page.wait_for_selector(".bubble.user")
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    page.screenshot(path=str(screenshot_dir / "chat.png"), full_page=True)
