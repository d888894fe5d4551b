"""One entry point for an uploaded survey file: pick the reader by extension, guard size and encoding.

Lives here: ``load_survey_file`` (.yml/.yaml → the YAML reader, .xlsx → the XLSForm reader).
Anything else, undecodable or larger than 2 MB is a ``SurveyFileError``. Must not store
anything: callers store the returned definition only when no error was raised.
"""

from __future__ import annotations

from pathlib import PurePath

from backend.app.surveys.definition import SurveyDefinition
from backend.app.surveys.errors import SurveyFileError
from backend.app.surveys.xlsform import read_xlsform
from backend.app.surveys.yaml_file import read_yaml_survey

__all__ = ["MAX_FILE_BYTES", "load_survey_file"]

MAX_FILE_BYTES = 2 * 1024 * 1024


def load_survey_file(filename: str, data: bytes) -> SurveyDefinition:
    """Reads and validates an uploaded survey file.

    Args:
        filename: The uploaded file's name; its extension chooses the format.
        data: The file's bytes.

    Returns:
        The validated definition.

    Raises:
        SurveyFileError: When the file type is not supported, the file is too large or empty,
            cannot be decoded, or breaks a rule of the format (with its line/sheet and reason).
    """
    extension = PurePath(filename or "").suffix.lower()
    if extension not in (".yml", ".yaml", ".xlsx"):
        raise SurveyFileError(
            "tệp",
            f"chỉ nhận tệp .yml, .yaml (YAML) hoặc .xlsx (XLSForm), không nhận «{extension or filename}»",
        )
    if len(data) > MAX_FILE_BYTES:
        raise SurveyFileError("tệp", "tệp lớn quá 2 MB; một phiếu khảo sát thường chỉ vài chục KB")
    if not data.strip():
        raise SurveyFileError("tệp", "tệp trống")
    if extension == ".xlsx":
        return read_xlsform(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SurveyFileError("tệp", "tệp YAML phải lưu bằng mã UTF-8 (tiếng Việt có dấu)") from None
    if "\x00" in text:
        raise SurveyFileError("tệp", "tệp chứa ký tự lạ (có thể không phải tệp chữ)")
    return read_yaml_survey(text)
