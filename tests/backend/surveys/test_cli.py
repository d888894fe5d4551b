"""The survey command line and the staff example workbook kept in step with the YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.app.core.config import REPO_ROOT
from backend.app.surveys import load_survey_file
from backend.app.surveys.__main__ import run_command
from tests.backend.surveys.samples import REAL_SURVEY_PATH, SAMPLE_YAML, replace_once

EXAMPLE_XLSX = REPO_ROOT / "surveys" / "examples" / "khao_sat_dau_nam.xlsx"


def test_example_workbook_matches_the_real_survey() -> None:
    expected = load_survey_file(REAL_SURVEY_PATH.name, REAL_SURVEY_PATH.read_bytes())
    assert load_survey_file(EXAMPLE_XLSX.name, EXAMPLE_XLSX.read_bytes()) == expected, (
        "regenerate: python -m backend.app.surveys to-xlsx surveys/khao_sat_dau_nam.yml "
        "surveys/examples/khao_sat_dau_nam.xlsx"
    )


def test_run_command_converts_both_ways(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "phieu.yml"
    source.write_text(SAMPLE_YAML, encoding="utf-8")
    assert run_command(["to-xlsx", str(source), str(tmp_path / "phieu.xlsx")]) == 0
    assert run_command(["to-yaml", str(tmp_path / "phieu.xlsx"), str(tmp_path / "lai.yml")]) == 0
    assert run_command(["check", str(tmp_path / "lai.yml")]) == 0
    assert "hợp lệ, 7 câu hỏi" in capsys.readouterr().out
    assert load_survey_file("lai.yml", (tmp_path / "lai.yml").read_bytes()) == load_survey_file(
        "phieu.yml", SAMPLE_YAML.encode()
    )
    assert run_command(["compile", str(source)]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "mau_thu"


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (replace_once(SAMPLE_YAML, "type: yes_no", "type: co"), 1, "dòng 14: "),
        (None, 2, "không đọc được tệp"),
    ],
)
def test_run_command_reports_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, status: int, message: str
) -> None:
    source = tmp_path / "phieu.yml"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    assert run_command(["check", str(source)]) == status
    assert message in capsys.readouterr().err
