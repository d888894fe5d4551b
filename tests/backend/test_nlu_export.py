"""The review set exports as Rasa NLU YAML that Rasa itself validates with the project's data."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from backend.app.core.config import REPO_ROOT
from backend.app.services.nlu_export import NluExample, annotate_example, build_nlu_yaml

RASA = REPO_ROOT / ".venv" / "rasa" / "bin" / "rasa"


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        (
            "luong vung 1 bao nhieu",
            [{"entity": "region", "value": "vung 1"}],
            "luong [vung 1](region) bao nhieu",
        ),
        ("lam them 3 gio", [{"entity": "hours", "value": "3"}], "lam them [3](hours) gio"),
        ("gia tri khong co", [{"entity": "region", "value": "vung 4"}], "gia tri khong co"),
        ("co [ngoac] (tron)", [], "co ngoac tron"),
    ],
)
def test_annotate_example_writes_inline_entities(text: str, entities: list[dict], expected: str) -> None:
    assert annotate_example(text, entities) == expected


def test_build_nlu_yaml_groups_by_intent_and_masks() -> None:
    examples = [
        NluExample("sdt em 0912345678 hoi luong", "ask_min_wage"),
        NluExample("luong vung 2", "ask_min_wage_region", [{"entity": "region", "value": "vung 2"}]),
        NluExample("luong vung 2", "ask_min_wage_region", [{"entity": "region", "value": "vung 2"}]),
    ]
    document = yaml.safe_load(build_nlu_yaml(examples, masked=True))
    assert document["version"] == "3.1"
    by_intent = {block["intent"]: block["examples"] for block in document["nlu"]}
    assert by_intent == {
        "ask_min_wage": "- sdt em *******678 hoi luong\n",
        "ask_min_wage_region": "- luong [vung 2](region)\n",
    }


def test_nlu_export_passes_rasa_data_validate(tmp_path: Path) -> None:
    if not RASA.exists():
        pytest.skip("the Rasa venv (.venv/rasa) is absent")
    examples = [
        NluExample(
            "e muon hoi luong toi thieu vung 1 nam nay",
            "ask_min_wage_region",
            [{"entity": "region", "value": "vung 1"}],
        ),
        NluExample("cty ko dong bhxh cho e 0912345678", "report_unpaid_si"),
        NluExample("nghỉ phép năm được mấy ngày vậy ạ", "ask_annual_leave"),
    ]
    data = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "nlu_data", data)
    (data / "nlu" / "corrections.yml").write_text(build_nlu_yaml(examples, masked=True), encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [str(RASA), "data", "validate", "--domain", str(REPO_ROOT / "domain.yml"), "--data", str(data)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
