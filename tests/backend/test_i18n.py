"""vi/en catalogs: every UI string translated, the language switch works, Vietnamese default."""

from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from backend.app.core.config import REPO_ROOT
from backend.app.core.i18n import LOCALES_DIR
from tests.backend.factories import create_staff, csrf_of, login


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def test_catalogs_cover_every_extracted_string(tmp_path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-o",
            str(pot),
            ".",  # babel.cfg's patterns are relative to the repository root
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as pot_file:
        extracted = {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(pot_file)
            if message.id
        }
    assert len(extracted) > 300, "the extraction found (almost) nothing: check babel.cfg"
    for language in ("vi", "en"):
        catalog = _catalog(language)
        known = {
            message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id
        }
        assert extracted - known == set(), f"{language}: missing {sorted(extracted - known)[:5]}"
    untranslated = [
        m.id for m in _catalog("vi") if m.id and not (m.string if isinstance(m.string, str) else m.string[0])
    ]
    assert untranslated == []


def test_language_switch_to_english_and_back(client: TestClient) -> None:
    staff = create_staff(role="admin")
    token = login(client, staff.email)
    assert "Cán bộ" in client.get("/admin").text
    reply = client.post(
        "/language",
        data={"csrf_token": token, "language": "en", "next": "/admin/units"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/admin/units"
    english = client.get("/admin").text
    assert "Log out" in english and 'lang="en"' in english and "Đăng xuất" not in english
    client.post("/language", data={"csrf_token": token, "language": "vi", "next": "//evil.example"})
    assert "Đăng xuất" in client.get("/admin").text


def test_language_switch_on_login_page_and_csrf_required(client: TestClient) -> None:
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    assert client.post("/language", data={"language": "en"}).status_code == 403
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/login"})
    assert "Log in" in client.get("/login").text
    client.cookies.clear()
