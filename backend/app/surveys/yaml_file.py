"""Reading and writing the YAML survey format, with line numbers in every error.

Lives here: ``read_yaml_survey`` (text → validated definition; errors say "dòng 37: ...") and
``export_yaml``. The text is composed into YAML nodes first so every value keeps the line it
was written on. YAML 1.1's surprises are switched off: only true/false are booleans (``yes``,
``no``, ``on``, ``off`` stay text, so ``value: no`` is the text "no"); anchors, aliases, merge
keys, duplicate keys and custom tags are rejected. Must not touch the database or XLSX.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from backend.app.surveys.definition import SurveyDefinition
from backend.app.surveys.errors import PathItem, SurveyFileError
from backend.app.surveys.validation import PathLocator, validate_definition

__all__ = ["export_yaml", "read_yaml_survey"]

MAX_NESTING = 30
Path = tuple[PathItem, ...]


class SurveyYamlLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false (YAML 1.2 style) and which refuses aliases."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Composes a node, stopping at an alias (``*name``) with its line."""
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise SurveyFileError(
                f"dòng {event.start_mark.line + 1}",
                "không dùng anchor/alias (&, *) trong tệp khảo sát; hãy viết đầy đủ",
            )
        return super().compose_node(parent, index)


SurveyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SurveyYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def line_of(node: Node) -> str:
    """The 1-based line of a node, as the error location."""
    return f"dòng {node.start_mark.line + 1}"


class _NodeReader:
    """Builds plain data from composed nodes and remembers the line of every path."""

    def __init__(self, loader: SurveyYamlLoader) -> None:
        self.loader = loader
        self.places: dict[Path, str] = {}
        self.seen: set[int] = set()

    def read(self, node: Node, path: Path) -> Any:
        if id(node) in self.seen:
            raise SurveyFileError(
                line_of(node), "không dùng anchor/alias (&, *) trong tệp khảo sát; hãy viết đầy đủ"
            )
        self.seen.add(id(node))
        if len(path) > MAX_NESTING:
            raise SurveyFileError(line_of(node), "cấu trúc lồng nhau quá sâu")
        self.places.setdefault(path, line_of(node))
        if isinstance(node, MappingNode):
            return self.read_mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.read(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self.read_scalar(node)
        raise SurveyFileError(line_of(node), "nội dung YAML không đọc được")  # pragma: no cover

    def read_mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise SurveyFileError(
                    line_of(key_node), "tên trường phải là một chữ đơn giản (không dùng <<, [..] hay {..})"
                )
            key = self.read_scalar(key_node)
            if isinstance(key, int) and not isinstance(key, bool):
                key = str(key)  # scale_labels: {1: ..., 5: ...}
            if not isinstance(key, str):
                raise SurveyFileError(line_of(key_node), f"tên trường «{key_node.value}» phải là chữ")
            if key in result:
                raise SurveyFileError(line_of(key_node), f"trường «{key}» bị viết hai lần trong cùng một mục")
            self.places[(*path, key)] = line_of(key_node)
            self.seen.add(id(key_node))
            result[key] = self.read(value_node, (*path, key))
        return result

    def read_scalar(self, node: ScalarNode) -> Any:
        if node.tag.startswith("!") or node.tag in ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:set"):
            raise SurveyFileError(line_of(node), f"thẻ YAML «{node.tag}» không được dùng")
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            raise SurveyFileError(line_of(node), f"giá trị «{node.value}» không đọc được") from error
        except (ValueError, OverflowError) as error:
            raise SurveyFileError(
                line_of(node), f"giá trị «{node.value}» không hợp lệ (ngày phải có thật, dạng NĂM-THÁNG-NGÀY)"
            ) from error


def compose_yaml(text: str) -> tuple[SurveyYamlLoader, Node | None]:
    """Parses YAML text into one node tree, reporting syntax errors with their line."""
    try:
        loader = SurveyYamlLoader(text)
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise SurveyFileError(f"dòng {line}", "tệp có ký tự điều khiển không dùng được trong YAML") from None
    try:
        return loader, loader.get_single_node()
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise SurveyFileError(f"dòng {line}", "tệp có ký tự điều khiển không dùng được trong YAML") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = f"dòng {mark.line + 1}" if mark is not None else "tệp YAML"
        problem = error.problem or "cú pháp sai"
        raise SurveyFileError(
            location,
            f"cú pháp YAML sai ({problem}); kiểm tra thụt lề bằng dấu cách, dấu «:» sau tên trường "
            "và dấu nháy quanh chữ có «:» hoặc «#»",
        ) from None
    except yaml.YAMLError as error:
        raise SurveyFileError("tệp YAML", f"không đọc được YAML ({error})") from None
    except RecursionError:
        raise SurveyFileError("tệp YAML", "cấu trúc lồng nhau quá sâu") from None
    finally:
        loader.dispose()


def read_yaml_survey(text: str) -> SurveyDefinition:
    """Reads a survey written in the YAML format.

    Args:
        text: The whole file as text.

    Returns:
        The validated definition.

    Raises:
        SurveyFileError: On a syntax error or a broken rule, located as "dòng N".
    """
    loader, root = compose_yaml(text)
    if root is None:
        raise SurveyFileError(
            "dòng 1", "tệp trống: cần các trường id, version, title, intro, consent, sections"
        )
    if not isinstance(root, MappingNode):
        raise SurveyFileError(
            line_of(root),
            "tệp phải là một bảng các trường (id, version, title, intro, consent, sections, ...)",
        )
    reader = _NodeReader(loader)
    try:
        data = reader.read(root, ())
    except RecursionError:
        raise SurveyFileError("tệp YAML", "cấu trúc lồng nhau quá sâu") from None
    return validate_definition(data, PathLocator(reader.places, "dòng 1"))


def export_yaml(definition: SurveyDefinition) -> str:
    """Writes a definition in the authored YAML format (defaults and empty fields left out).

    Args:
        definition: A validated definition.

    Returns:
        YAML text that ``read_yaml_survey`` reads back into an equal definition.
    """
    data = definition.model_dump(mode="json", exclude_none=True)
    for section in data["sections"]:
        for question in section["questions"]:
            if question.get("required") is True:
                question.pop("required")
            if question.get("integer") is False:
                question.pop("integer")
            if "scale_labels" in question:
                question["scale_labels"] = {
                    int(point): label for point, label in question["scale_labels"].items()
                }
    ordered = {key: data[key] for key in SurveyDefinition.model_fields if key in data}
    return yaml.dump(ordered, Dumper=_SurveyYamlDumper, sort_keys=False, allow_unicode=True, width=100)


class _SurveyYamlDumper(yaml.SafeDumper):
    """SafeDumper writing choices as one-line mappings and never using aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_mapping(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.MappingNode:
    flow = set(data) == {"value", "label"}
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_SurveyYamlDumper.add_representer(dict, _represent_mapping)
