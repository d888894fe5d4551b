"""Survey definitions: the authored format, YAML and XLSForm import/export, the compiled JSON.

Public API (imported by the backend routes and services):
``SurveyDefinition``, ``SurveyFileError``, ``ExpressionError``, ``load_survey_file``,
``compile_definition``, ``export_xlsform``, ``export_yaml``, ``parse_expression``.
Must not touch the database or HTTP.
"""

from __future__ import annotations

from backend.app.surveys.compiler import compile_definition
from backend.app.surveys.definition import SurveyDefinition
from backend.app.surveys.errors import ExpressionError, SurveyFileError
from backend.app.surveys.expressions import parse_expression
from backend.app.surveys.loader import load_survey_file
from backend.app.surveys.xlsform import export_xlsform
from backend.app.surveys.yaml_file import export_yaml

__all__ = [
    "ExpressionError",
    "SurveyDefinition",
    "SurveyFileError",
    "compile_definition",
    "export_xlsform",
    "export_yaml",
    "load_survey_file",
    "parse_expression",
]
