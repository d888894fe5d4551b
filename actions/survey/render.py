"""What the worker sees during a survey: questions, buttons, confirmations, re-asks, endings.

Lives here: pure functions building polite Vietnamese texts and quick-reply buttons from a
compiled definition and the worker's progress. A choice button's payload is the option's
number as text ("2"); more than ``MAX_BUTTONS`` options are shown as a numbered list only
(the channels spread buttons over several messages, so long lists would flood the chat).
Must not decide what comes next (the engine does) and must not send anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from actions.formatting import format_date, format_number
from actions.survey.answers import DEFAULT_TEXT_MAX_LENGTH, Rejected, plain_words
from actions.survey.engine import Progress, Survey, answer_count, position

__all__ = [
    "MAX_BUTTONS",
    "Reply",
    "already_completed_text",
    "choose_message",
    "closed_text",
    "completed_text",
    "confirmation_text",
    "consent_message",
    "constraint_text",
    "declined_text",
    "format_value",
    "list_unavailable_text",
    "no_survey_text",
    "paused_text",
    "question_message",
    "reask_text",
    "refusal_text",
    "resume_text",
    "unavailable_text",
]

MAX_BUTTONS = 10
"""Most quick replies offered with one question."""
SKIP_BUTTON = {"title": "Bỏ qua", "payload": "bỏ qua"}
YES_NO_BUTTONS = [{"title": "Có", "payload": "có"}, {"title": "Không", "payload": "không"}]
OTHER_TOPIC_HINT = (
    "Nếu anh/chị muốn hỏi việc khác, anh/chị gõ “tạm dừng” (em lưu lại phần đã trả lời) rồi hỏi em nhé."
)


@dataclass(frozen=True)
class Reply:
    """One bot message: text and quick-reply buttons ({"title", "payload"})."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def _quoted(title: str) -> str:
    return f"“{title}”"


def _choice_label(question: Mapping[str, Any], value: Any) -> str:
    for choice in question.get("choices") or []:
        if str(choice.get("value")) == str(value):
            return str(choice.get("label") or value)
    return str(value)


def _number_text(value: Any, unit: Any) -> str:
    text = format_number(value)
    return f"{text} {unit}" if unit else text


def format_value(question: Mapping[str, Any], value: Any) -> str:
    """Writes an answer the way the worker would read it.

    Args:
        question: The compiled question.
        value: The answer value (contract shape).

    Returns:
        Option labels, "48 giờ", "6,5 triệu đồng", "15/03/1990", "Có", "5 – Rất hài lòng"...
    """
    kind = question.get("type")
    if value is None:
        return "(bỏ qua)"
    if kind == "single_choice":
        return _choice_label(question, value)
    if kind == "multiple_choice":
        labels = [_choice_label(question, item) for item in value]
        return ("; " if any("," in label for label in labels) else ", ").join(labels)
    if kind == "number":
        return _number_text(value, question.get("unit"))
    if kind == "scale":
        label = (question.get("scale_labels") or {}).get(str(value))
        return f"{value} – {label}" if label else f"{value}/5"
    if kind == "yes_no":
        return "Có" if value == "yes" else "Không"
    if kind == "date":
        try:
            return format_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def confirmation_text(question: Mapping[str, Any], value: Any) -> str:
    """The brief confirmation after an answer ("Dạ, em ghi nhận: Dưới 30 tuổi.").

    Args:
        question: The question answered.
        value: The recorded value (None = skipped).

    Returns:
        The confirmation.
    """
    if value is None:
        return "Dạ, em bỏ qua câu này ạ."
    if question.get("type") == "text":
        return "Dạ, em đã ghi lại ý kiến của anh/chị ạ."
    return f"Dạ, em ghi nhận: {format_value(question, value)}."


def _range_text(low: Any, high: Any, unit: Any) -> str:
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"từ {format_number(low)} đến {format_number(high)}{suffix}"
    if low is not None:
        return f"từ {format_number(low)}{suffix} trở lên"
    if high is not None:
        return f"không quá {format_number(high)}{suffix}"
    return ""


def _how_to_answer(question: Mapping[str, Any]) -> str:
    """One line telling how to answer this kind of question."""
    kind = question.get("type")
    choices = question.get("choices") or []
    if kind == "single_choice":
        if len(choices) > MAX_BUTTONS:
            return "Anh/chị gõ số thứ tự của phương án giúp em ạ."
        return "Anh/chị bấm nút hoặc gõ số thứ tự của phương án ạ."
    if kind == "multiple_choice":
        limit = question.get("max_choices")
        most = f" (tối đa {limit} ý)" if limit else ""
        return f"Anh/chị có thể chọn nhiều ý{most}: gõ các số cách nhau bằng dấu phẩy, ví dụ: 1, 3."
    if kind == "number":
        parts = ["Anh/chị gõ một số"]
        if question.get("unit"):
            parts.append(f"đơn vị: {question['unit']}")
        bounds = _range_text(question.get("min"), question.get("max"), None)
        if bounds:
            parts.append(bounds)
        return ", ".join(parts) + "."
    if kind == "scale":
        labels = question.get("scale_labels") or {}
        ends = [f"{key} = {labels[key]}" for key in sorted(labels, key=lambda k: int(k))]
        detail = f" ({', '.join(ends)})" if ends else " (1 là thấp nhất, 5 là cao nhất)"
        return f"Anh/chị chọn một mức từ 1 đến 5{detail}."
    if kind == "yes_no":
        return "Anh/chị trả lời “có” hoặc “không” ạ."
    if kind == "date":
        return "Anh/chị gõ ngày theo dạng ngày/tháng/năm, ví dụ: 15/3/1990."
    limit = question.get("max_length") or DEFAULT_TEXT_MAX_LENGTH
    return f"Anh/chị gõ câu trả lời của mình (tối đa {format_number(limit)} ký tự)."


def _buttons(question: Mapping[str, Any]) -> list[dict[str, str]]:
    kind = question.get("type")
    buttons: list[dict[str, str]] = []
    if kind == "single_choice":
        choices = question.get("choices") or []
        if len(choices) <= MAX_BUTTONS:
            buttons = [
                {"title": f"{number}. {choice.get('label')}", "payload": str(number)}
                for number, choice in enumerate(choices, start=1)
            ]
    elif kind == "scale":
        labels = question.get("scale_labels") or {}
        buttons = [
            {"title": f"{n} – {labels[str(n)]}" if str(n) in labels else str(n), "payload": str(n)}
            for n in range(1, 6)
        ]
    elif kind == "yes_no":
        buttons = [dict(button) for button in YES_NO_BUTTONS]
    if not question.get("required", True) and len(buttons) < MAX_BUTTONS:
        buttons.append(dict(SKIP_BUTTON))
    return buttons


def _mentions(text: str, phrase: str) -> bool:
    """Tells whether an authored text already says something (compared without diacritics)."""
    return plain_words(phrase) in plain_words(text)


def _question_note(question: Mapping[str, Any]) -> str | None:
    """The answering note under a question, left out where buttons or the hint already say it."""
    kind = question.get("type")
    has_hint = bool(question.get("hint"))
    if kind == "yes_no" or (kind == "single_choice" and _buttons(question)):
        return None
    if kind == "number" and has_hint:
        parts = [f"đơn vị: {question['unit']}"] if question.get("unit") else []
        bounds = _range_text(question.get("min"), question.get("max"), None)
        parts += [bounds] if bounds else []
        return ("(" + ", ".join(parts) + ")") if parts else None
    if has_hint and kind in ("multiple_choice", "scale", "date", "text"):
        return None
    return _how_to_answer(question)


def question_message(survey: Survey, progress: Progress, question: Mapping[str, Any]) -> Reply:
    """The question as asked: "Câu k/N · section", label, hint, numbered options, buttons.

    Args:
        survey: The survey.
        progress: The worker's progress (for an earlier answer after "quay lại").
        question: The question to ask.

    Returns:
        The message.
    """
    number, total = position(survey, str(question["id"]))
    section = survey.sections.get(str(question.get("section") or ""), "")
    heading = f"Câu {number}/{total}" + (f" · {section}" if section else "")
    lines = [heading, str(question.get("label") or "")]
    hint = str(question.get("hint") or "")
    if hint:
        lines.append(hint if hint.startswith("(") else f"({hint})")
    if question.get("type") in ("single_choice", "multiple_choice"):
        lines += [
            f"{index}. {choice.get('label')}"
            for index, choice in enumerate(question.get("choices") or [], start=1)
        ]
    note = _question_note(question)
    if note:
        lines.append(note)
    if not question.get("required", True) and not _mentions(hint, "bỏ qua"):
        lines.append("Câu này không bắt buộc: anh/chị có thể gõ “bỏ qua”.")
    if question["id"] in progress.answers:
        earlier = format_value(question, progress.answers[question["id"]])
        lines.append(f"Lần trước anh/chị đã trả lời: {earlier}.")
    return Reply("\n".join(lines), _buttons(question))


def consent_message(survey: Survey) -> Reply:
    """The survey's introduction and its consent question, with Có/Không buttons.

    Args:
        survey: The survey.

    Returns:
        The message.
    """
    total = len(survey.questions)
    minutes = max(1, round(total * 20 / 60))
    intro = survey.intro or f"Dạ, Công đoàn mời anh/chị tham gia khảo sát {_quoted(survey.title)}."
    authored = f"{intro} {survey.consent}"
    lines = [intro]
    if not _mentions(authored, f"{total} câu"):
        about = f"Khảo sát có {total} câu, mất khoảng {minutes} phút"
        if survey.anonymous and not _mentions(authored, "ẩn danh"):
            about += ", câu trả lời được ghi nhận ẩn danh"
        lines.append(about + ".")
    if not _mentions(authored, "tạm dừng"):
        lines.append(
            "Trong lúc làm, anh/chị có thể gõ “quay lại” để sửa câu trước, “bỏ qua” với câu không "
            "bắt buộc, hoặc “tạm dừng” để lúc khác làm tiếp."
        )
    lines.append(survey.consent or "Anh/chị có đồng ý tham gia không ạ?")
    return Reply("\n".join(lines), [dict(button) for button in YES_NO_BUTTONS])


def choose_message(offer: Sequence[Mapping[str, Any]], completed_titles: Sequence[str] = ()) -> Reply:
    """The list of open surveys to choose from.

    Args:
        offer: The surveys the worker can take ({"id", "title", "question_count"}), in order.
        completed_titles: Titles of open surveys the worker has already completed.

    Returns:
        The message, one button per survey (payload = its number).
    """
    lines = [f"Dạ, hiện có {len(offer)} khảo sát đang mở cho anh/chị:"]
    for number, item in enumerate(offer, start=1):
        count = item.get("question_count")
        lines.append(f"{number}. {item.get('title')}" + (f" ({count} câu)" if count else ""))
    if completed_titles:
        done = ", ".join(_quoted(title) for title in completed_titles)
        lines.append(f"Anh/chị đã hoàn thành: {done}.")
    lines.append("Anh/chị muốn làm khảo sát nào ạ?")
    buttons = [
        {"title": f"{number}. {item.get('title')}", "payload": str(number)}
        for number, item in enumerate(offer[:MAX_BUTTONS], start=1)
    ]
    return Reply("\n".join(lines), buttons)


_REASONS: dict[str, str] = {
    "empty": "Dạ, em chưa nhận được câu trả lời ạ.",
    "unreadable": "Dạ, em chưa đọc được câu trả lời này ạ.",
    "bad_date": "Dạ, em chưa đọc được ngày này ạ.",
    "not_integer": "Dạ, câu này cần một số nguyên ạ (ví dụ: 2).",
}


def reask_text(question: Mapping[str, Any], rejected: Rejected, other_topic: bool = False) -> str:
    """The polite explanation sent before the question is asked again.

    Args:
        question: The question.
        rejected: Why the answer was not usable.
        other_topic: Whether the message looked like a question on another topic.

    Returns:
        The text (the question itself follows in the next message).
    """
    detail = rejected.detail
    if rejected.reason == "no_such_option":
        text = f"Dạ, câu này chỉ có các phương án từ 1 đến {detail.get('count')} ạ."
    elif rejected.reason == "ambiguous":
        numbers = ", ".join(str(n) for n in detail.get("options") or [])
        text = f"Dạ, câu trả lời khớp với nhiều phương án ({numbers}) ạ. Anh/chị gõ số thứ tự giúp em nhé."
    elif rejected.reason == "too_many":
        text = f"Dạ, câu này chọn tối đa {detail.get('max_choices')} ý thôi ạ."
    elif rejected.reason == "out_of_range":
        bounds = _range_text(detail.get("min"), detail.get("max"), question.get("unit"))
        text = f"Dạ, câu trả lời cần trong khoảng {bounds} ạ."
    elif rejected.reason == "too_long":
        limit = format_number(detail.get("max_length") or DEFAULT_TEXT_MAX_LENGTH)
        text = f"Dạ, câu trả lời dài quá {limit} ký tự, anh/chị viết gọn lại giúp em nhé."
    else:
        text = _REASONS.get(rejected.reason, _REASONS["unreadable"]) + " " + _how_to_answer(question)
    if other_topic:
        text += " " + OTHER_TOPIC_HINT
    return text


def constraint_text(question: Mapping[str, Any]) -> str:
    """The message when an answer breaks the question's constraint."""
    message = str(question.get("constraint_message") or "").strip()
    return message or "Dạ, câu trả lời này chưa hợp lệ ạ, anh/chị kiểm tra lại giúp em nhé."


def refusal_text(error: str) -> str:
    """The message when "bỏ qua"/"quay lại" cannot be done ("required", "at_start")."""
    if error == "required":
        return "Dạ, câu này cần anh/chị trả lời để hoàn thành khảo sát ạ."
    return "Dạ, đây là câu hỏi đầu tiên rồi ạ."


def resume_text(survey: Survey, progress: Progress) -> str:
    """Said when a paused survey is taken up again."""
    done = answer_count(progress)
    if progress.current is None:
        return f"Dạ, mình tiếp tục khảo sát {_quoted(survey.title)} nhé."
    number, total = position(survey, progress.current)
    return (
        f"Dạ, mình tiếp tục khảo sát {_quoted(survey.title)} từ câu {number}/{total} nhé "
        f"(anh/chị đã trả lời {done} câu)."
    )


def paused_text(survey: Survey | None, progress: Progress | None) -> str:
    """Said after "tạm dừng": the progress is kept and how to go on."""
    where = ""
    if survey is not None and progress is not None and progress.current:
        number, total = position(survey, progress.current)
        where = f" (đến câu {number}/{total})"
    return (
        f"Dạ, em đã lưu các câu trả lời của anh/chị{where}. Khi nào tiện, anh/chị gõ “khảo sát” "
        "để làm tiếp đúng chỗ đang dừng nhé. Bây giờ anh/chị cần hỏi gì cứ nhắn em ạ."
    )


def completed_text(survey: Survey | None) -> str:
    """The thanks at the end of a survey."""
    title = _quoted(survey.title) if survey else ""
    anonymous = survey is None or survey.anonymous
    privacy = " Câu trả lời được ghi nhận ẩn danh." if anonymous else ""
    return (
        f"Dạ, em xin cảm ơn anh/chị đã hoàn thành khảo sát {title}!{privacy} Ý kiến của anh/chị "
        "giúp Công đoàn chăm lo cho đoàn viên, người lao động thiết thực hơn ạ."
    ).replace("khảo sát !", "khảo sát!")


def declined_text() -> str:
    """Said when the worker does not consent."""
    return (
        "Dạ vâng, em tôn trọng quyết định của anh/chị ạ, em không lưu thông tin nào. Khi nào "
        "muốn tham gia, anh/chị cứ gõ “khảo sát” nhé."
    )


def closed_text(title: str) -> str:
    """Said when the survey the worker was in has closed."""
    return (
        f"Dạ, khảo sát {_quoted(title)} đã kết thúc nên em không nhận thêm câu trả lời được ạ. "
        "Em cảm ơn anh/chị đã quan tâm!"
    )


def unavailable_text() -> str:
    """Said when the survey cannot go on because the backend and the cache both fail."""
    return (
        "Dạ, hệ thống khảo sát đang tạm gián đoạn ạ. Em đã lưu phần anh/chị đã trả lời; anh/chị "
        "gõ “khảo sát” lúc khác để làm tiếp nhé."
    )


def list_unavailable_text() -> str:
    """Said when the list of open surveys cannot be fetched."""
    return "Dạ, em chưa mở được danh sách khảo sát lúc này ạ. Anh/chị thử lại sau ít phút nhé."


def no_survey_text() -> str:
    """Said when no survey is open for the worker."""
    return (
        "Dạ, hiện chưa có khảo sát nào đang mở cho anh/chị ạ. Anh/chị cần hỏi gì về lương, bảo "
        "hiểm hay quyền lợi đoàn viên, cứ nhắn em nhé."
    )


def already_completed_text(titles: Sequence[str]) -> str:
    """Said when every open survey was already completed by the worker."""
    names = ", ".join(_quoted(title) for title in titles)
    return (
        f"Dạ, anh/chị đã hoàn thành khảo sát {names} rồi ạ, mỗi người chỉ trả lời một lần. Em cảm ơn anh/chị!"
    )
