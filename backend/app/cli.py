"""Command line of the backend.

``python -m backend.app.cli create-admin --email ... --password ...`` creates an admin on a
migrated database; ``python -m backend.app.cli export-nlu [--out nlu_data/nlu/corrections.yml]``
writes the admins' review corrections as Rasa NLU training data (phone and ID numbers masked);
``python -m backend.app.cli import-survey surveys/khao_sat_dau_nam.yml [--open]`` imports (or
updates) a survey from a YAML or XLSForm file.
Must not hold logic beyond argument parsing; the rules live in services/.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select

from backend.app.core.config import REPO_ROOT
from backend.app.core.db import session_scope
from backend.app.models import ReviewCorrection
from backend.app.schemas.staff import StaffCreate
from backend.app.services.accounts import AccountError, create_staff
from backend.app.services.nlu_export import NluExample, build_nlu_yaml
from backend.app.services.survey_catalog import SurveyImportError, find_survey, import_survey
from backend.app.surveys import SurveyFileError, load_survey_file


def create_admin(*, email: str, password: str, full_name: str) -> int:
    """Creates an admin account (audited as ``staff.create`` by the system).

    Args:
        email: The admin's email.
        password: At least 10 characters.
        full_name: The display name.

    Returns:
        The new account's id.

    Raises:
        AccountError: When the email is taken.
        ValidationError: When the email or password is invalid.
    """
    with session_scope() as session:
        staff = create_staff(
            session=session,
            staff_create=StaffCreate(email=email, password=password, full_name=full_name, role="admin"),
            actor=None,
        )
        return staff.id


def export_nlu(*, out: Path) -> int:
    """Writes every review correction into a Rasa NLU file (numbers masked), for training.

    Args:
        out: The file to write, e.g. ``nlu_data/nlu/corrections.yml``.

    Returns:
        How many examples were written.
    """
    with session_scope() as session:
        rows = session.scalars(select(ReviewCorrection).order_by(ReviewCorrection.id)).all()
        examples = [
            NluExample(text=row.text, intent=row.intent, entities=list(row.entities or [])) for row in rows
        ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_nlu_yaml(examples, masked=True), encoding="utf-8")
    return len(examples)


def import_survey_file(*, path: Path, open_now: bool, if_absent: bool = False) -> str:
    """Imports a survey file as the system (audited), like the staff upload page does.

    Args:
        path: A .yml/.yaml or XLSForm .xlsx file.
        open_now: Open the survey to workers right away.
        if_absent: Leave a survey with the same id untouched (staff may have changed or
            closed it): how `make run` seeds the early-year survey once.

    Returns:
        A one-line summary: slug, version, status, question count.

    Raises:
        SurveyFileError: When the file is invalid (nothing stored).
        SurveyImportError: When the definition cannot replace the stored one.
    """
    definition = load_survey_file(path.name, path.read_bytes())
    with session_scope() as session:
        if if_absent and (existing := find_survey(session=session, slug=definition.id)) is not None:
            return f"kept survey {existing.slug} v{existing.version} ({existing.status}): already there"
        outcome = import_survey(session=session, definition=definition, actor=None, open_now=open_now)
        survey = outcome.survey
        action = "imported" if outcome.created else "updated"
        counts = f"{survey.status}, {survey.question_count} questions"
        return f"{action} survey {survey.slug} v{survey.version} ({counts})"


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line.

    Args:
        argv: Arguments (default: sys.argv[1:]).

    Returns:
        The exit code: 0 on success, 1 when the account could not be created or the survey
        file could not be imported.
    """
    parser = argparse.ArgumentParser(prog="python -m backend.app.cli", description="Trợ lý Công đoàn backend")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True, help="at least 10 characters")
    admin.add_argument("--full-name", default="Quản trị viên")
    export = commands.add_parser("export-nlu", help="write the review corrections as Rasa NLU data")
    export.add_argument("--out", type=Path, default=REPO_ROOT / "nlu_data" / "nlu" / "corrections.yml")
    survey = commands.add_parser("import-survey", help="import or update a survey from YAML or XLSForm")
    survey.add_argument("path", type=Path)
    survey.add_argument("--open", action="store_true", help="open the survey to workers right away")
    survey.add_argument("--if-absent", action="store_true", help="do nothing when the survey id exists")
    args = parser.parse_args(argv)
    if args.command == "import-survey":
        try:
            summary = import_survey_file(path=args.path, open_now=args.open, if_absent=args.if_absent)
        except (SurveyFileError, SurveyImportError) as error:
            sys.stderr.write(f"{args.path}: {error.location}: {error.reason}\n")
            return 1
        except OSError as error:
            sys.stderr.write(f"{args.path}: {error.strerror or error}\n")
            return 1
        sys.stdout.write(summary + "\n")
        return 0
    if args.command == "export-nlu":
        count = export_nlu(out=args.out)
        sys.stdout.write(f"wrote {count} corrected examples to {args.out}\n")
        return 0
    try:
        staff_id = create_admin(email=args.email, password=args.password, full_name=args.full_name)
    except AccountError:
        sys.stderr.write(f"an account with the email {args.email} already exists\n")
        return 1
    except ValidationError:
        sys.stderr.write("invalid email or password (the password needs at least 10 characters)\n")
        return 1
    sys.stdout.write(f"created admin {args.email.strip().lower()} (id {staff_id})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
