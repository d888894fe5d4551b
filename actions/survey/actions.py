"""The survey loop's rasa_sdk actions: start, the form's validation and question, the ending.

Lives here: ``action_start_survey`` ("khảo sát": list open surveys, resume a paused one, or
start the only one), ``action_start_conversation`` (Get Started / invitation links: a
``ks.<survey>[.<unit>]`` ref assigns the unit and starts that survey, anything else greets),
``validate_survey_form`` (reads the worker's message into the progress: choice of survey,
consent, answer, "bỏ qua", "quay lại", "tạm dừng"; posts each answer and the completion through
the durable outbox), ``action_ask_survey_answer`` (asks what the progress waits for) and
``action_survey_finish`` (the closing message after the form ends). The form ``survey_form``
has one text slot, ``survey_answer``, emptied after every turn; all state is the
``survey_progress`` slot (JSON of ``engine.SurveyState``), kept by the tracker store across
restarts and carried into new sessions. Must not hold survey content (it comes from the
backend) nor parsing rules (``answers``) nor wording (``render``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_client import post_to_backend
from actions.conversation import latest_entities, latest_intent
from actions.settings import get_settings
from actions.survey import engine, render
from actions.survey.answers import Rejected, match_option, parse_answer, parse_yes_no, read_command
from actions.survey.definitions import SurveySummary, fetch_open_surveys, load_survey
from actions.survey.engine import Progress, Recorded, Survey, SurveyState

__all__ = [
    "ActionAskSurveyAnswer",
    "ActionStartConversation",
    "ActionStartSurvey",
    "ActionSurveyFinish",
    "ValidateSurveyForm",
    "parse_survey_ref",
]

logger = logging.getLogger(__name__)

FORM = "survey_form"
SLOT_PROGRESS = "survey_progress"
SLOT_ANSWER = "survey_answer"
SLOT_COMPLETED = "survey_completed"
REQUESTED_SLOT = "requested_slot"
ANSWERS_PATH = "/api/ingest/survey-answers"
COMPLETIONS_PATH = "/api/ingest/survey-completions"
MEMBER_UNIT_PATH = "/api/ingest/member-unit"

START_INTENTS = frozenset({"start", "start_survey"})
"""Intents that, inside the form, mean "show me where I am" rather than an answer."""
NOT_OTHER_TOPIC = frozenset({"affirm", "deny", "nlu_fallback", "start", "start_survey", "chitchat"})
OTHER_TOPIC_CONFIDENCE = 0.7
"""An unreadable answer classified this confidently as another intent gets the pause hint."""

SURVEY_REF = re.compile(r"^ks\.([a-z0-9_]{3,64})(?:\.([0-9A-Za-z_\-=.:]{1,100}))?$")
GENERIC_SURVEY_REFS = frozenset({"ks", "survey", "khao_sat", "khaosat"})

Events = list[dict[str, Any]]


def parse_survey_ref(ref: str | None) -> tuple[str, str | None] | None:
    """Reads an invitation ref ``ks.<survey_id>[.<unit_code>]``.

    Args:
        ref: The referral value from ``/start{"ref": ...}``.

    Returns:
        (survey id, unit code or None), or None when the ref is not a survey link.
    """
    match = SURVEY_REF.match(ref or "")
    if match is None:
        return None
    return match.group(1), match.group(2) or None


# --- tracker helpers ------------------------------------------------------------------------


def _state(tracker: Tracker) -> SurveyState:
    return SurveyState.from_json(tracker.get_slot(SLOT_PROGRESS))


def _completed(tracker: Tracker) -> list[str]:
    value = tracker.get_slot(SLOT_COMPLETED)
    return [str(item) for item in value] if isinstance(value, list) else []


def _channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def _now() -> str:
    return datetime.now(ZoneInfo(get_settings().timezone)).isoformat(timespec="seconds")


def _state_events(
    state: SurveyState, completed: list[str] | None = None, requested: str | None = None
) -> Events:
    """The slot events every survey action ends with (the answer slot always emptied)."""
    events: Events = [SlotSet(SLOT_PROGRESS, state.to_json()), SlotSet(SLOT_ANSWER, None)]
    if completed is not None:
        events.append(SlotSet(SLOT_COMPLETED, sorted(set(completed))))
    events.append(SlotSet(REQUESTED_SLOT, requested))
    return events


def _ended(state: SurveyState, outcome: str, survey_id: str, progress: Progress | None = None) -> SurveyState:
    """The state after the form stops: nothing active, and why, for action_survey_finish."""
    ended = replace(state, active=None, offer=(), ended=outcome, ended_survey=survey_id)
    return ended.with_progress(progress) if progress is not None else ended


def _looks_like_other_topic(tracker: Tracker) -> bool:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = str(intent.get("name") or "")
    confidence = float(intent.get("confidence") or 0.0)
    return bool(name) and name not in NOT_OTHER_TOPIC and confidence >= OTHER_TOPIC_CONFIDENCE


# --- calls to the backend -------------------------------------------------------------------


async def _post_recorded(
    tracker: Tracker, survey: Survey, progress: Progress, recorded: tuple[Recorded, ...]
) -> None:
    """Posts answers through the outbox, one idempotency key per (worker, survey, seq)."""
    sender, channel = tracker.sender_id, _channel(tracker)
    for item in recorded:
        payload = {
            "survey_id": survey.id,
            "survey_version": survey.version,
            "channel": channel,
            "sender_id": sender,
            "question_id": item.question_id,
            "value": item.value,
            "seq": item.seq,
            "answered_at": _now(),
            "unit_code": progress.unit_code,
        }
        await post_to_backend(ANSWERS_PATH, payload, f"survey-answer:{sender}:{survey.id}:{item.seq}")


async def _post_completion(tracker: Tracker, survey: Survey, progress: Progress) -> None:
    sender = tracker.sender_id
    payload = {
        "survey_id": survey.id,
        "survey_version": survey.version,
        "channel": _channel(tracker),
        "sender_id": sender,
        "completed_at": _now(),
        "answer_count": engine.answer_count(progress),
    }
    await post_to_backend(COMPLETIONS_PATH, payload, f"survey-completion:{sender}:{survey.id}")


async def _assign_unit(tracker: Tracker, unit_code: str) -> bool | None:
    """Attaches the worker to the unit of an invitation link.

    The call goes straight to the backend first: an unknown unit code (404) is dropped
    instead of being queued, so a stale link can never hold up the outbox. When the backend
    cannot be reached, the call is queued in the outbox like any other.

    Returns:
        True when assigned, False for an unknown unit, None when queued for later.
    """
    settings = get_settings()
    sender, channel = tracker.sender_id, _channel(tracker)
    key = f"member-unit:{channel}:{sender}:{unit_code}"
    payload = {"channel": channel, "sender_id": sender, "unit_code": unit_code}
    try:
        async with httpx.AsyncClient(timeout=settings.backend_timeout_seconds) as client:
            reply = await client.post(
                f"{settings.backend_url}{MEMBER_UNIT_PATH}",
                json=payload,
                headers={
                    "Authorization": f"Bearer {settings.service_token}",
                    "Idempotency-Key": key,
                },
            )
    except httpx.HTTPError as error:
        logger.warning("member-unit call queued: %s", error)
        reply = None
    if reply is not None and reply.status_code in (200, 201):
        return True
    if reply is not None and reply.status_code in (404, 422):
        logger.warning("invitation unit %r refused: HTTP %s", unit_code, reply.status_code)
        return False
    await post_to_backend(MEMBER_UNIT_PATH, payload, key)
    return None


# --- entering a survey ----------------------------------------------------------------------


def _seq_start(existing: Progress | None, backend_status: str | None) -> int:
    """The seq a (re)started survey continues from.

    Normally the progress's own counter. When the backend already holds answers of this
    worker but the tracker lost the progress (a reset conversation), counting restarts above
    anything used before (minutes since 1970), so new answers get new idempotency keys and win
    over the old ones ("highest seq wins").
    """
    if existing is not None:
        return existing.seq
    if backend_status == "in_progress":
        return int(time.time() // 60)
    return 0


async def _enter_survey(
    dispatcher: CollectingDispatcher,
    state: SurveyState,
    survey_id: str,
    completed: list[str],
    backend_status: str | None = None,
    unit_code: str | None = None,
) -> SurveyState:
    """Starts or resumes one survey; says why not when it cannot be taken.

    Args:
        dispatcher: Where messages go.
        state: The worker's survey state.
        survey_id: The survey.
        completed: Surveys this worker has completed.
        backend_status: The worker's status in it per the backend (None = unknown).
        unit_code: The unit of the invitation link, if it was assigned.

    Returns:
        The new state (active = the survey when it can go on, else None).
    """
    idle = replace(state, active=None, offer=())
    existing = state.progress.get(survey_id)
    survey = await load_survey(survey_id, existing.version if existing else None)
    if survey is None:
        dispatcher.utter_message(text=render.list_unavailable_text())
        return idle
    if (
        survey_id in completed
        or backend_status == "completed"
        or (existing is not None and existing.status == engine.COMPLETED)
    ):
        dispatcher.utter_message(text=render.already_completed_text([survey.title]))
        return idle
    if survey.is_closed_on(get_settings().today()):
        dispatcher.utter_message(text=render.closed_text(survey.title))
        return idle
    if existing is not None and existing.status in engine.OPEN_STATUSES:
        progress = engine.resume(existing, survey)
        if progress.status == engine.ANSWERING:
            dispatcher.utter_message(text=render.resume_text(survey, progress))
    else:
        progress = engine.new_progress(survey, _seq_start(existing, backend_status))
    if unit_code:
        progress = replace(progress, unit_code=unit_code)
    return replace(idle, active=survey_id).with_progress(progress)


def _offer_item(summary: SurveySummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "title": summary.title,
        "question_count": summary.question_count,
        "status": summary.status,
    }


def _park(state: SurveyState) -> SurveyState:
    """Leaves any survey where it is (answering becomes paused) without asking anything."""
    parked = replace(state, active=None, offer=(), ended=None, ended_survey=None)
    current = state.progress.get(state.active or "")
    if current is not None and current.status == engine.ANSWERING:
        parked = parked.with_progress(engine.pause(current))
    return parked


async def _open_surveys(
    dispatcher: CollectingDispatcher, tracker: Tracker, state: SurveyState, completed: list[str]
) -> SurveyState:
    """What "khảo sát" does: resume, start the only open survey, or offer a choice."""
    state = replace(state, ended=None, ended_survey=None, offer=())
    listing = await fetch_open_surveys(_channel(tracker), tracker.sender_id)
    unfinished = [
        p.survey_id
        for p in state.progress.values()
        if p.status in engine.OPEN_STATUSES and p.survey_id not in completed
    ]
    if listing is None:
        # Backend unreachable: a survey under way goes on from the cached definition.
        if unfinished:
            preferred = state.active if state.active in unfinished else unfinished[0]
            return await _enter_survey(dispatcher, state, preferred, completed)
        dispatcher.utter_message(text=render.list_unavailable_text())
        return replace(state, active=None)
    completed.extend(s.id for s in listing if s.status == "completed" and s.id not in completed)
    open_ids = {s.id: s for s in listing}
    for survey_id in unfinished:
        if survey_id not in open_ids:
            gone = state.progress[survey_id]
            survey = await load_survey(survey_id, gone.version)
            dispatcher.utter_message(text=render.closed_text(survey.title if survey else survey_id))
            state = state.with_progress(replace(gone, status=engine.CLOSED, current=None))
    resumable = [s for s in unfinished if s in open_ids and s not in completed]
    if resumable:
        preferred = state.active if state.active in resumable else resumable[0]
        return await _enter_survey(dispatcher, state, preferred, completed, open_ids[preferred].status)
    available = [s for s in listing if s.id not in completed]
    if not available:
        titles = [s.title for s in listing if s.id in completed]
        text = render.already_completed_text(titles) if titles else render.no_survey_text()
        dispatcher.utter_message(text=text)
        return replace(state, active=None)
    if len(available) == 1:
        return await _enter_survey(dispatcher, state, available[0].id, completed, available[0].status)
    offer = [_offer_item(s) for s in available] + [_offer_item(s) for s in listing if s.id in completed]
    return replace(state, active=None, offer=tuple(offer))


class ActionStartSurvey(Action):
    """Answers "khảo sát" (typed or a button): resume a paused survey, start one, or list them."""

    def name(self) -> str:
        """Returns the action name used in rules and the domain."""
        return "action_start_survey"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Prepares the survey state; the form then asks what it waits for.

        Args:
            dispatcher: Where messages go.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            The slot events (progress, completed surveys, no requested slot yet).
        """
        completed = _completed(tracker)
        state = await _open_surveys(dispatcher, tracker, _state(tracker), completed)
        return _state_events(state, completed)


class ActionStartConversation(Action):
    """A new conversation (Get Started, follow, invitation link): a survey link starts it."""

    def name(self) -> str:
        """Returns the action name used in the ``start`` rule and the domain."""
        return "action_start_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Starts the linked survey (after assigning the link's unit), or greets.

        Args:
            dispatcher: Where messages go.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            The slot events.
        """
        ref = str(latest_entities(tracker).get("ref") or "")
        if not ref:
            ref = str(((tracker.latest_message or {}).get("metadata") or {}).get("ref") or "")
        completed = _completed(tracker)
        state = _park(_state(tracker))
        linked = parse_survey_ref(ref)
        if ref.lower() in GENERIC_SURVEY_REFS:
            state = await _open_surveys(dispatcher, tracker, state, completed)
            if state.stage is None:  # nothing to take part in: still welcome the worker
                dispatcher.utter_message(response="utter_greet")
            return _state_events(state, completed)
        if linked is None:
            dispatcher.utter_message(response="utter_greet")
            return _state_events(state, completed)
        survey_id, unit_code = linked
        assigned = await _assign_unit(tracker, unit_code) if unit_code else None
        listing = await fetch_open_surveys(_channel(tracker), tracker.sender_id)
        status = None
        if listing is not None:
            completed.extend(s.id for s in listing if s.status == "completed" and s.id not in completed)
            summary = next((s for s in listing if s.id == survey_id), None)
            if summary is None and survey_id not in completed:
                dispatcher.utter_message(
                    text="Dạ, khảo sát trong đường link này hiện không mở cho anh/chị ạ."
                )
                dispatcher.utter_message(response="utter_greet")
                return _state_events(state, completed)
            status = summary.status if summary else "completed"
        state = await _enter_survey(
            dispatcher, state, survey_id, completed, status, unit_code if assigned else None
        )
        return _state_events(state, completed)


# --- the form -------------------------------------------------------------------------------


class ValidateSurveyForm(Action):
    """Reads each message of the survey loop into the progress and posts the answers.

    The form's only slot, ``survey_answer``, holds the raw text of the worker's message; this
    action consumes it, empties it, and sets ``requested_slot`` to ask again or to None to end
    the form (completed, paused, declined, closed, or nothing to ask).
    """

    def name(self) -> str:
        """Returns the validation action name (``validate_`` + form name)."""
        return "validate_survey_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Handles one message of the loop.

        Args:
            dispatcher: Where confirmations and re-asks go.
            tracker: The conversation so far (``survey_answer`` = the message, or None at
                activation).
            domain: The bot's domain.

        Returns:
            Slot events: progress, emptied answer slot, completed surveys, requested slot.
        """
        state = _state(tracker)
        completed = _completed(tracker)
        raw = tracker.get_slot(SLOT_ANSWER)
        text = str(raw).strip() if raw is not None else ""
        if latest_intent(tracker) in START_INTENTS and text.startswith("/"):
            text = ""  # a start payload re-shows the current step, it is not an answer
        stage = state.stage
        if stage == "choose":
            state = await self._choose(dispatcher, tracker, state, completed, text)
        elif stage == "consent":
            state = await self._consent(dispatcher, tracker, state, text)
        elif stage == "question":
            state, completed = await self._question(dispatcher, tracker, state, completed, text)
        return _state_events(state, completed, SLOT_ANSWER if state.stage else None)

    async def _choose(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        state: SurveyState,
        completed: list[str],
        text: str,
    ) -> SurveyState:
        command = read_command(text) if text else "resume"
        if command == "pause":
            return replace(state, offer=(), ended="left", ended_survey=None)
        if command == "resume":
            return state
        available = [item for item in state.offer if item.get("status") != "completed"]
        choices = [{"value": item["id"], "label": item.get("title")} for item in available]
        found = match_option(choices, text)
        if isinstance(found, Rejected):
            pseudo = {"type": "single_choice", "choices": choices}
            dispatcher.utter_message(text=render.reask_text(pseudo, found, _looks_like_other_topic(tracker)))
            return state
        chosen = available[found]
        return await _enter_survey(dispatcher, state, chosen["id"], completed, chosen.get("status"))

    async def _consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, state: SurveyState, text: str
    ) -> SurveyState:
        progress = state.progress[str(state.active)]
        command = read_command(text) if text else "resume"
        if command == "pause":
            return _ended(state, "left", progress.survey_id)
        if command == "resume":
            return state
        answer = parse_yes_no(text)
        if answer == "no":
            declined = replace(progress, status=engine.DECLINED)
            return _ended(state, "declined", progress.survey_id, declined)
        if answer is None:
            hint = " " + render.OTHER_TOPIC_HINT if _looks_like_other_topic(tracker) else ""
            dispatcher.utter_message(text="Dạ, anh/chị trả lời giúp em “có” hoặc “không” ạ." + hint)
            return state
        survey = await load_survey(progress.survey_id, progress.version)
        if survey is None:
            return _ended(state, "unavailable", progress.survey_id)
        step = engine.accept_consent(engine.upgrade_progress(progress, survey), survey)
        dispatcher.utter_message(text="Dạ, em cảm ơn anh/chị! Mình bắt đầu nhé.")
        return state.with_progress(step.progress)

    async def _question(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        state: SurveyState,
        completed: list[str],
        text: str,
    ) -> tuple[SurveyState, list[str]]:
        progress = state.progress[str(state.active)]
        survey = await load_survey(progress.survey_id, progress.version)
        if survey is None:
            return _ended(state, "unavailable", progress.survey_id, engine.pause(progress)), completed
        if survey.is_closed_on(get_settings().today()):
            closed = replace(progress, status=engine.CLOSED, current=None)
            return _ended(state, "closed", survey.id, closed), completed
        progress = engine.upgrade_progress(progress, survey)
        if progress.current is None:
            return await self._complete(tracker, state, survey, progress, completed, ())
        command = read_command(text) if text else "resume"
        if command == "pause":
            return _ended(state, "paused", survey.id, engine.pause(progress)), completed
        if command == "resume":
            return state.with_progress(progress), completed
        question = survey.question(progress.current) or {}
        if command in ("skip", "back"):
            step = (
                engine.skip_question(progress, survey)
                if command == "skip"
                else engine.go_back(progress, survey)
            )
            if step.error:
                dispatcher.utter_message(text=render.refusal_text(step.error))
                return state.with_progress(progress), completed
            if command == "skip":
                dispatcher.utter_message(text=render.confirmation_text(question, None))
        else:
            parsed = parse_answer(question, text, get_settings().today())
            if isinstance(parsed, Rejected):
                other = _looks_like_other_topic(tracker)
                dispatcher.utter_message(text=render.reask_text(question, parsed, other))
                return state.with_progress(progress), completed
            if not engine.check_constraint(question, parsed.value, progress.answers):
                dispatcher.utter_message(text=render.constraint_text(question))
                return state.with_progress(progress), completed
            step = engine.record_answer(progress, survey, parsed.value)
            dispatcher.utter_message(text=render.confirmation_text(question, parsed.value))
        if step.completed:
            return await self._complete(tracker, state, survey, step.progress, completed, step.recorded)
        await _post_recorded(tracker, survey, step.progress, step.recorded)
        return state.with_progress(step.progress), completed

    async def _complete(
        self,
        tracker: Tracker,
        state: SurveyState,
        survey: Survey,
        progress: Progress,
        completed: list[str],
        recorded: tuple[Recorded, ...],
    ) -> tuple[SurveyState, list[str]]:
        if progress.status != engine.COMPLETED:
            progress = replace(progress, status=engine.COMPLETED, current=None)
        await _post_recorded(tracker, survey, progress, recorded)
        await _post_completion(tracker, survey, progress)
        return _ended(state, "completed", survey.id, progress), [*completed, survey.id]


class ActionAskSurveyAnswer(Action):
    """Asks what the survey form waits for: the choice of survey, the consent, or a question."""

    def name(self) -> str:
        """Returns ``action_ask_survey_answer``, the name the form looks for."""
        return "action_ask_survey_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Sends the current step.

        Args:
            dispatcher: Where the question goes.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            No events.
        """
        state = _state(tracker)
        stage = state.stage
        if stage == "choose":
            available = [item for item in state.offer if item.get("status") != "completed"]
            done = [str(item.get("title")) for item in state.offer if item.get("status") == "completed"]
            reply = render.choose_message(available, done)
            dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
            return []
        if stage not in ("consent", "question"):
            return []
        progress = state.progress[str(state.active)]
        survey = await load_survey(progress.survey_id, progress.version)
        if survey is None:
            dispatcher.utter_message(text=render.unavailable_text())
            return []
        if stage == "consent":
            reply = render.consent_message(survey)
        else:
            progress = engine.upgrade_progress(progress, survey)
            question = survey.question(progress.current)
            if question is None:
                return []
            reply = render.question_message(survey, progress, question)
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return []


class ActionSurveyFinish(Action):
    """After the survey form ends: thanks, the pause note, or why it stopped."""

    def name(self) -> str:
        """Returns the action name used in the rules and the domain."""
        return "action_survey_finish"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Sends the closing message for how the form ended, then forgets that outcome.

        Args:
            dispatcher: Where the message goes.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            The progress slot with ``ended`` cleared.
        """
        state = _state(tracker)
        if state.ended is None:
            return []
        survey_id = state.ended_survey or ""
        progress = state.progress.get(survey_id)
        survey = await load_survey(survey_id, progress.version if progress else None) if survey_id else None
        texts = {
            "completed": lambda: render.completed_text(survey),
            "paused": lambda: render.paused_text(survey, progress),
            "declined": render.declined_text,
            "closed": lambda: render.closed_text(survey.title if survey else survey_id),
            "unavailable": render.unavailable_text,
            "left": lambda: "Dạ vâng ạ. Khi nào muốn làm khảo sát, anh/chị cứ gõ “khảo sát” nhé.",
        }
        make = texts.get(state.ended)
        if make is not None:
            dispatcher.utter_message(text=make())
        return [SlotSet(SLOT_PROGRESS, replace(state, ended=None, ended_survey=None).to_json())]
