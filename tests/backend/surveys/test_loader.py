"""load_survey_file: dispatch by extension, size and encoding guards, no other exception ever."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backend.app.surveys as surveys
from backend.app.surveys import SurveyDefinition, SurveyFileError, export_xlsform, load_survey_file
from tests.backend.surveys.samples import SAMPLE_YAML


def test_package_exports_exactly_the_public_api() -> None:
    assert sorted(surveys.__all__) == [
        "ExpressionError",
        "SurveyDefinition",
        "SurveyFileError",
        "compile_definition",
        "export_xlsform",
        "export_yaml",
        "load_survey_file",
        "parse_expression",
    ]


@pytest.mark.parametrize("filename", ["phieu.yml", "PHIEU.YAML", "thư mục/phiếu.yaml"])
def test_load_survey_file_reads_yaml_extensions(filename: str) -> None:
    assert isinstance(load_survey_file(filename, SAMPLE_YAML.encode()), SurveyDefinition)


def test_load_survey_file_accepts_a_utf8_bom() -> None:
    assert load_survey_file("phieu.yml", b"\xef\xbb\xbf" + SAMPLE_YAML.encode()).id == "mau_thu"


def test_load_survey_file_reads_xlsx_by_extension() -> None:
    data = export_xlsform(load_survey_file("phieu.yml", SAMPLE_YAML.encode()))
    assert load_survey_file("Phieu.XLSX", data).id == "mau_thu"


@pytest.mark.parametrize(
    ("filename", "data", "reason_part"),
    [
        ("phieu.csv", b"a,b", "chỉ nhận tệp .yml, .yaml"),
        ("phieu", b"id: x", "chỉ nhận tệp"),
        ("phieu.xls", b"id: x", "«.xls»"),
        ("phieu.yml", b"", "trống"),
        ("phieu.yml", b"  \n ", "trống"),
        ("phieu.yml", "id: khảo".encode("utf-16"), "UTF-8"),
        ("phieu.yml", b"id: x\x00y", "ký tự lạ"),
        ("phieu.yml", b"#" * (2 * 1024 * 1024 + 1), "2 MB"),
        ("phieu.xlsx", b"x" * (2 * 1024 * 1024 + 1), "2 MB"),
    ],
)
def test_load_survey_file_rejects_unusable_files(filename: str, data: bytes, reason_part: str) -> None:
    with pytest.raises(SurveyFileError) as caught:
        load_survey_file(filename, data)
    assert caught.value.location == "tệp"
    assert reason_part in caught.value.reason


YAML_FRAGMENTS = st.sampled_from(
    [
        "id: ",
        "version: ",
        "sections:\n",
        "  - ",
        "questions:\n",
        "type: ",
        "single_choice",
        "choices: ",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "\n",
        "    ",
        "&a ",
        "*a ",
        "!!binary ",
        "'",
        '"',
        "${x}",
        "yes",
        "2027-02-30",
        "relevant: ",
        "- id: q\n",
        "label: ",
        "# ",
        "---\n",
        "...\n",
        "\t",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["phieu.yml", "phieu.yaml", "phieu.xlsx"]),
    st.one_of(
        st.binary(max_size=400),
        st.lists(YAML_FRAGMENTS, max_size=40).map(lambda parts: "".join(parts).encode()),
        st.text(max_size=300).map(str.encode),
    ),
)
def test_load_survey_file_raises_only_survey_file_error(filename: str, data: bytes) -> None:
    try:
        definition = load_survey_file(filename, data)
    except SurveyFileError as error:
        assert error.location and error.reason
    else:
        assert isinstance(definition, SurveyDefinition)


SAMPLE_XLSX = export_xlsform(load_survey_file("phieu.yml", SAMPLE_YAML.encode()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_load_survey_file_survives_damaged_xlsx(data: st.DataObject) -> None:
    original = bytearray(SAMPLE_XLSX)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    try:
        load_survey_file("phieu.xlsx", bytes(original))
    except SurveyFileError as error:
        assert error.location
