"""Command line for survey files: check one, or convert between YAML and XLSForm.

Usage::

    python -m backend.app.surveys check surveys/khao_sat_dau_nam.yml
    python -m backend.app.surveys to-xlsx surveys/khao_sat_dau_nam.yml surveys/examples/khao_sat_dau_nam.xlsx
    python -m backend.app.surveys to-yaml phieu.xlsx phieu.yml
    python -m backend.app.surveys compile surveys/khao_sat_dau_nam.yml   # the compiled JSON

Must not touch the database: storing surveys is the backend's job.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from backend.app.surveys import (
    SurveyFileError,
    compile_definition,
    export_xlsform,
    export_yaml,
    load_survey_file,
)


def run_command(argv: list[str]) -> int:
    """Runs one command.

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit status: 0 done, 1 the file is invalid, 2 it cannot be read.
    """
    parser = argparse.ArgumentParser(
        prog="python -m backend.app.surveys", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("check", "compile"):
        commands.add_parser(name).add_argument("source", type=Path)
    for name in ("to-xlsx", "to-yaml"):
        command = commands.add_parser(name)
        command.add_argument("source", type=Path)
        command.add_argument("target", type=Path)
    arguments = parser.parse_args(argv)
    try:
        data = arguments.source.read_bytes()
    except OSError as error:
        sys.stderr.write(f"{arguments.source}: không đọc được tệp ({error.strerror})\n")
        return 2
    try:
        definition = load_survey_file(arguments.source.name, data)
    except SurveyFileError as error:
        sys.stderr.write(f"{arguments.source}: {error}\n")
        return 1
    if arguments.command == "check":
        sys.stdout.write(f"{arguments.source}: hợp lệ, {definition.question_count()} câu hỏi\n")
    elif arguments.command == "compile":
        sys.stdout.write(json.dumps(compile_definition(definition), ensure_ascii=False, indent=2) + "\n")
    elif arguments.command == "to-xlsx":
        arguments.target.write_bytes(export_xlsform(definition))
    else:
        arguments.target.write_text(export_yaml(definition), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(run_command(sys.argv[1:]))
