"""Tests of survey definitions: format, expressions, YAML and XLSForm import/export, compiler."""
