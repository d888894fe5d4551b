"""Staff accounts and login sessions.

Lives here: authenticate, open/close sessions, rate-limit failures, create and change
accounts (audited), bootstrap the first admin.

Must not talk HTTP (routes set cookies); functions take keyword-only arguments and flush but
never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.app.core.security import hash_password, hash_token, new_token, verify_password
from backend.app.models import LoginFailure, Staff, StaffSession, Unit
from backend.app.models.staff import ROLE_ADMIN
from backend.app.schemas.staff import StaffCreate, StaffUpdate
from backend.app.services.audit import record_audit


class AccountError(ValueError):
    """An account change that cannot be made; ``code`` names the reason for the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    """Returns the email trimmed and lower-cased, as stored."""
    return email.strip().lower()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def get_staff_by_email(*, session: Session, email: str) -> Staff | None:
    """Returns the account with this email (any case), or None."""
    return session.scalars(select(Staff).where(Staff.email == normalise_email(email))).first()


def authenticate(*, session: Session, email: str, password: str) -> Staff | None:
    """Checks a login; inactive accounts and unknown emails fail the same way.

    Args:
        session: An open session.
        email: The typed email.
        password: The typed password.

    Returns:
        The active account when the password matches, else None.
    """
    staff = get_staff_by_email(session=session, email=email)
    matches = verify_password(password, staff.password_hash if staff is not None else None)
    if staff is None or not matches or not staff.is_active:
        return None
    return staff


def count_recent_failures(*, session: Session, email: str, client_ip: str, window_minutes: int) -> int:
    """Counts failed logins for this email from this address within the window.

    Args:
        session: An open session.
        email: The typed email.
        client_ip: The client's address.
        window_minutes: How far back to count.

    Returns:
        The number of failures.
    """
    since = datetime.now(UTC) - timedelta(minutes=window_minutes)
    query = select(func.count()).where(
        LoginFailure.email == normalise_email(email)[:254],
        LoginFailure.client_ip == client_ip[:64],
        LoginFailure.created_at >= since,
    )
    return int(session.scalar(query) or 0)


def record_login_failure(*, session: Session, email: str, client_ip: str) -> None:
    """Stores one failed login (for rate limiting)."""
    session.add(LoginFailure(email=normalise_email(email)[:254], client_ip=client_ip[:64]))
    session.flush()


def clear_login_failures(*, session: Session, email: str, client_ip: str) -> None:
    """Forgets failures of this email from this address after a successful login."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.email == normalise_email(email)[:254], LoginFailure.client_ip == client_ip[:64]
        )
    )


def start_session(*, session: Session, staff: Staff, hours: float) -> tuple[str, StaffSession]:
    """Opens a login session.

    Args:
        session: An open session inside a transaction.
        staff: The authenticated account.
        hours: Lifetime of the session.

    Returns:
        The cookie token (shown once, stored only hashed) and the session row.
    """
    token = new_token()
    row = StaffSession(
        token_hash=hash_token(token),
        staff_id=staff.id,
        csrf_token=new_token(),
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(*, session: Session, token: str) -> StaffSession | None:
    """Returns the live session of a cookie token: not expired, account active.

    Args:
        session: An open session.
        token: The cookie's token.

    Returns:
        The session row, or None.
    """
    if len(token) > 200:
        return None
    row = session.scalars(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    if row is None or _aware(row.expires_at) <= datetime.now(UTC) or not row.staff.is_active:
        return None
    return row


def end_session(*, session: Session, token: str) -> None:
    """Deletes the session of a cookie token (logout)."""
    session.execute(delete(StaffSession).where(StaffSession.token_hash == hash_token(token)))


def end_all_sessions(*, session: Session, staff_id: int) -> None:
    """Deletes every session of an account (deactivation, password reset)."""
    session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))


def _check_unit(session: Session, unit_id: int | None) -> None:
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise AccountError("unknown_unit")


def create_staff(*, session: Session, staff_create: StaffCreate, actor: Staff | None) -> Staff:
    """Creates an account (audited as ``staff.create``).

    Args:
        session: An open session inside a transaction.
        staff_create: The new account.
        actor: The admin creating it; None for the CLI or startup.

    Returns:
        The account.

    Raises:
        AccountError: ``email_taken`` or ``unknown_unit``.
    """
    if get_staff_by_email(session=session, email=staff_create.email) is not None:
        raise AccountError("email_taken")
    _check_unit(session, staff_create.unit_id)
    staff = Staff(
        email=normalise_email(staff_create.email),
        full_name=staff_create.full_name.strip(),
        password_hash=hash_password(staff_create.password),
        role=staff_create.role,
        unit_id=staff_create.unit_id,
        is_active=True,
    )
    session.add(staff)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="staff.create",
        target_type="staff",
        target_id=staff.id,
        detail={"email": staff.email, "role": staff.role, "unit_id": staff.unit_id},
    )
    return staff


def update_staff(*, session: Session, staff: Staff, staff_update: StaffUpdate, actor: Staff) -> Staff:
    """Changes name, role, unit or active flag; each kind of change is audited.

    Args:
        session: An open session inside a transaction.
        staff: The account to change.
        staff_update: The changes.
        actor: The admin.

    Returns:
        The account.

    Raises:
        AccountError: ``unknown_unit``; ``self_lockout`` when an admin would remove their
            own admin role or deactivate themselves; ``last_admin`` when no active admin
            would remain.
    """
    changes: dict[str, list[object]] = {}
    if staff_update.full_name is not None and staff_update.full_name.strip() != staff.full_name:
        changes["full_name"] = [staff.full_name, staff_update.full_name.strip()]
    if staff_update.role is not None and staff_update.role != staff.role:
        changes["role"] = [staff.role, staff_update.role]
    new_unit = None if staff_update.clear_unit else staff_update.unit_id
    if (staff_update.clear_unit or staff_update.unit_id is not None) and new_unit != staff.unit_id:
        _check_unit(session, new_unit)
        changes["unit_id"] = [staff.unit_id, new_unit]
    if staff_update.is_active is not None and staff_update.is_active != staff.is_active:
        changes["is_active"] = [staff.is_active, staff_update.is_active]
    loses_admin = staff.is_admin and (
        changes.get("role", [None, ROLE_ADMIN])[1] != ROLE_ADMIN
        or changes.get("is_active", [None, True])[1] is False
    )
    if loses_admin and staff.id == actor.id:
        raise AccountError("self_lockout")
    if loses_admin:
        others = session.scalar(
            select(func.count()).where(
                Staff.role == ROLE_ADMIN, Staff.is_active.is_(True), Staff.id != staff.id
            )
        )
        if not others:
            raise AccountError("last_admin")
    for field, (_, new) in changes.items():
        setattr(staff, field, new)
    session.flush()
    if "is_active" in changes and not staff.is_active:
        end_all_sessions(session=session, staff_id=staff.id)
    for field, (old, new) in changes.items():
        action = {
            "role": "staff.role_change",
            "is_active": "staff.deactivate" if not new else "staff.activate",
        }.get(field, "staff.update")
        record_audit(
            session=session,
            actor=actor,
            action=action,
            target_type="staff",
            target_id=staff.id,
            detail={"field": field, "old": old, "new": new},
        )
    return staff


def reset_password(*, session: Session, staff: Staff, new_password: str, actor: Staff) -> None:
    """Sets a new password, ends the account's sessions, audits ``staff.password_reset``.

    Args:
        session: An open session inside a transaction.
        staff: The account.
        new_password: The new password (already validated for length).
        actor: The admin.
    """
    staff.password_hash = hash_password(new_password)
    end_all_sessions(session=session, staff_id=staff.id)
    record_audit(
        session=session, actor=actor, action="staff.password_reset", target_type="staff", target_id=staff.id
    )


def list_staff(*, session: Session, skip: int = 0, limit: int = 100) -> tuple[list[Staff], int]:
    """Returns accounts ordered by email, with the total count."""
    total = int(session.scalar(select(func.count()).select_from(Staff)) or 0)
    rows = session.scalars(select(Staff).order_by(Staff.email).offset(skip).limit(limit))
    return list(rows.unique()), total


def ensure_bootstrap_admin(*, session: Session, email: str, password: str, full_name: str) -> Staff | None:
    """Creates the first admin when none exists (startup with ADMIN_EMAIL/ADMIN_PASSWORD).

    Args:
        session: An open session inside a transaction.
        email: ADMIN_EMAIL.
        password: ADMIN_PASSWORD.
        full_name: The display name.

    Returns:
        The new admin, or None when an admin already exists or the email is taken.
    """
    if session.scalar(select(func.count()).where(Staff.role == ROLE_ADMIN)):
        return None
    if get_staff_by_email(session=session, email=email) is not None:
        return None
    return create_staff(
        session=session,
        staff_create=StaffCreate(email=email, password=password, full_name=full_name, role="admin"),
        actor=None,
    )
