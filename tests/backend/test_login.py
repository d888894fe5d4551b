"""Login, logout, session cookie flags, rate limiting, CSRF, admin-only pages, bootstrap, CLI,
production refusal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.app.core.config import REPO_ROOT
from backend.app.core.db import SessionLocal, session_scope
from backend.app.core.security import (
    EXAMPLE_ADMIN_PASSWORD,
    SESSION_COOKIE,
    UnsafeConfiguration,
    check_production_safety,
    hash_password,
    verify_password,
)
from backend.app.models import AuditLog, Staff, StaffSession
from backend.app.services.accounts import ensure_bootstrap_admin
from tests.backend.factories import DEFAULT_PASSWORD, create_staff, csrf_of, login, random_email


def _login_form(client: TestClient) -> str:
    client.cookies.clear()
    return csrf_of(client.get("/login").text)


def test_login_page_is_vietnamese_with_csrf_field(client: TestClient) -> None:
    client.cookies.clear()
    reply = client.get("/login")
    assert reply.status_code == 200
    assert "Đăng nhập" in reply.text
    assert 'name="csrf_token"' in reply.text


def test_login_success_sets_httponly_samesite_cookie_and_redirects(client: TestClient) -> None:
    staff = create_staff(role="admin")
    token = _login_form(client)
    reply = client.post(
        "/login",
        data={"email": staff.email.upper(), "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/admin"
    cookie = next(
        v for k, v in reply.headers.multi_items() if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # APP_ENV=test; production adds Secure
    home = client.get("/admin")
    assert home.status_code == 200
    assert "Nhật ký" in home.text  # admin nav


@pytest.mark.parametrize(
    ("email_of", "password"),
    [
        (lambda staff: staff.email, "wrong-password-123"),
        (lambda staff: "nobody@congdoan.test", DEFAULT_PASSWORD),
        (lambda staff: "", ""),
    ],
)
def test_login_failure_is_generic_401(client: TestClient, email_of, password: str) -> None:
    staff = create_staff()
    token = _login_form(client)
    reply = client.post("/login", data={"email": email_of(staff), "password": password, "csrf_token": token})
    assert reply.status_code == 401
    assert "Email hoặc mật khẩu không đúng." in reply.text
    assert SESSION_COOKIE not in reply.cookies


def test_login_of_deactivated_account_fails(client: TestClient) -> None:
    staff = create_staff()
    with session_scope() as session:
        session.get(Staff, staff.id).is_active = False  # type: ignore[union-attr]
    token = _login_form(client)
    reply = client.post(
        "/login", data={"email": staff.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert reply.status_code == 401


def test_login_rate_limit_answers_429_after_five_failures(client: TestClient) -> None:
    staff = create_staff()
    token = _login_form(client)
    codes = [
        client.post(
            "/login", data={"email": staff.email, "password": "sai-mat-khau-1", "csrf_token": token}
        ).status_code
        for _ in range(5)
    ]
    assert codes == [401] * 5
    blocked = client.post(
        "/login", data={"email": staff.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "quá nhiều lần" in blocked.text
    other = create_staff()
    assert (
        client.post(
            "/login",
            data={"email": other.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_login_with_wrong_csrf_is_403(client: TestClient, token: str) -> None:
    staff = create_staff()
    _login_form(client)
    data = {"email": staff.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403


def test_cross_site_login_without_token_is_403(client: TestClient) -> None:
    staff = create_staff()
    data = {"email": staff.email, "password": DEFAULT_PASSWORD}
    headers = {"Origin": "https://evil.example"}
    assert client.post("/login", data=data, headers=headers, follow_redirects=False).status_code == 403


def test_script_login_with_email_and_password_only_sets_session_cookie(client: TestClient) -> None:
    """The outside contract: POST /login with form fields email and password."""
    staff = create_staff()
    client.cookies.clear()
    reply = client.post("/login", data={"email": staff.email, "password": DEFAULT_PASSWORD},
                        follow_redirects=False)
    assert reply.status_code == 303
    cookie = reply.headers["set-cookie"]
    assert "tlcd_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_forms_of_logged_in_staff_need_the_session_csrf_token(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    form = {"email": random_email(), "password": "mat-khau-moi-123", "role": "staff"}
    assert client.post("/admin/staff", data=form, follow_redirects=False).status_code == 403
    assert (
        client.post("/admin/staff", data={**form, "csrf_token": "x" * 43}, follow_redirects=False).status_code
        == 403
    )
    ok = client.post("/admin/staff", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.post("/logout", follow_redirects=False).status_code == 403


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    staff = create_staff()
    token = login(client, staff.email)
    old_cookie = client.cookies.get(SESSION_COOKIE)
    reply = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login"
    with SessionLocal() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0
    client.cookies.set(SESSION_COOKIE, old_cookie or "")
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert client.get("/api/staff/me").status_code == 401


@pytest.mark.parametrize(
    "path", ["/admin/staff", "/admin/staff/new", "/admin/audit", "/admin/units/new", "/api/staff"]
)
def test_admin_only_pages_are_403_for_staff(client: TestClient, path: str) -> None:
    staff = create_staff()
    login(client, staff.email)
    assert client.get(path, follow_redirects=False).status_code == 403


def test_anonymous_page_redirects_to_login(client: TestClient) -> None:
    client.cookies.clear()
    reply = client.get("/admin", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login"


def test_passwords_are_argon2_hashed() -> None:
    hashed = hash_password("mot-mat-khau-dai")
    assert hashed.startswith("$argon2id$")
    assert verify_password("mot-mat-khau-dai", hashed)
    assert not verify_password("sai", hashed)
    assert not verify_password("mot-mat-khau-dai", None)


def test_bootstrap_creates_first_admin_only_once() -> None:
    with session_scope() as session:
        for existing in session.scalars(select(Staff).where(Staff.role == "admin")):
            existing.role = "staff"
    with session_scope() as session:
        first = ensure_bootstrap_admin(
            session=session,
            email="Admin@CongDoan.Local",
            password=EXAMPLE_ADMIN_PASSWORD,
            full_name="Quản trị",
        )
        assert first is not None
        assert first.email == "admin@congdoan.local"
    with session_scope() as session:
        assert (
            ensure_bootstrap_admin(session=session, email="x@y.vn", password="khac-mat-khau-1", full_name="")
            is None
        )
        admins = session.scalar(select(func.count()).where(Staff.role == "admin"))
        assert admins == 1


def test_startup_bootstraps_admin_from_environment(tmp_path) -> None:
    env = _subprocess_env(
        tmp_path, ADMIN_EMAIL="khoidong@congdoan.local", ADMIN_PASSWORD="mat-khau-khoi-dong"
    )
    code = (
        "from fastapi.testclient import TestClient\n"
        "from backend.app.main import app\n"
        "with TestClient(app) as c:\n"
        "    t = c.get('/login').cookies\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
            '"select email, role from staff").fetchall())',
            str(tmp_path / "db.sqlite3"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "('khoidong@congdoan.local', 'admin')" in listed.stdout


def _subprocess_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIN_")}
    env.update(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONPATH": str(REPO_ROOT), **extra}
    )
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "backend/alembic.ini", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def test_cli_create_admin_creates_an_admin_and_refuses_duplicates(tmp_path) -> None:
    env = _subprocess_env(tmp_path)
    args = [
        sys.executable,
        "-m",
        "backend.app.cli",
        "create-admin",
        "--email",
        "Chu.Tich@CongDoan.vn",
        "--password",
        "mat-khau-rat-dai",
    ]
    first = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "chu.tich@congdoan.vn" in first.stdout
    again = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 1
    short = subprocess.run(args[:-1] + ["ngan"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert short.returncode == 1


def test_cli_create_admin_in_process_writes_audit() -> None:
    from backend.app.cli import main

    email = random_email("cli")
    assert main(["create-admin", "--email", email, "--password", "mat-khau-rat-dai"]) == 0
    with SessionLocal() as session:
        staff = session.scalars(select(Staff).where(Staff.email == email)).one()
        assert staff.role == "admin"
        entry = session.scalars(select(AuditLog).where(AuditLog.target_id == str(staff.id))).one()
        assert entry.action == "staff.create"


@pytest.mark.parametrize(
    ("secret_key", "admin_password", "refused"),
    [
        ("local-secret-key-change-me", "", True),
        ("changethis", "", True),
        ("a-real-long-random-secret-value", EXAMPLE_ADMIN_PASSWORD, True),
        ("a-real-long-random-secret-value", "a-strong-admin-password", False),
        ("a-real-long-random-secret-value", "", False),
    ],
)
def test_production_refuses_example_secrets(secret_key: str, admin_password: str, refused: bool) -> None:
    def check() -> None:
        check_production_safety(app_env="production", secret_key=secret_key, admin_password=admin_password)

    if refused:
        with pytest.raises(UnsafeConfiguration):
            check()
    else:
        check()
    check_production_safety(app_env="development", secret_key=secret_key, admin_password=admin_password)


def test_backend_process_refuses_to_start_in_production_with_example_password(tmp_path) -> None:
    env = _subprocess_env(
        tmp_path,
        APP_ENV="production",
        SECRET_KEY="a-real-long-random-secret-value",
        BACKEND_SERVICE_TOKEN="a-real-service-token-value",
        ADMIN_EMAIL="admin@congdoan.local",
        ADMIN_PASSWORD=EXAMPLE_ADMIN_PASSWORD,
    )
    code = (
        "from fastapi.testclient import TestClient\n"
        "from backend.app.main import app\n"
        "TestClient(app).__enter__()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ADMIN_PASSWORD is the example value" in result.stderr
