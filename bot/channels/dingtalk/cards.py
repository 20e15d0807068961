"""DingTalk interactive cards (互动卡片) for contest questions: the card data we send, the
per-member and closing updates, and the parsing of a button tap. Pure: no I/O, no clock.

The card's look lives in a template the admin builds once in DingTalk's card platform (README,
"钉钉"); studybot fills its variables. Every value of `cardParamMap` is a string (DingTalk's rule;
the array `options` is a JSON string). The template contract:

| variable  | type      | what it holds                                                   |
|-----------|-----------|-----------------------------------------------------------------|
| title     | 文本      | 「知识竞赛 · 第 2/5 题」                                        |
| stem      | Markdown  | the question and its options, as the text message shows them   |
| options   | 数组      | [{"label": "A", "text": "…"}] — loop one button over it         |
| status    | 文本      | shared: 「点击选项作答…」, then 「本题已结束，正确答案：B」       |
| my_status | 文本, 私有化 | per member: 「已作答：B。…」 (empty until they tap)           |
| answered  | 布尔, 私有化 | per member: true after their tap (hide or grey the buttons)  |
| closed    | 布尔      | true once the question is over (hide the buttons for everyone)  |

A member's private data wins over the shared data for the same variable, and every member who
tapped has private data: so what changes for everyone (`status`, `closed`) is never written
privately, and what is one member's (`my_status`, `answered`) never shared after the card is sent.
Every `cardParamMap` value is at most 1 KB (`PARAM_MAX_BYTES`): a question whose card would carry a
longer one goes as text (`fits`).

A button's action is 「回传请求」 with the parameter `choice` = the option's label; a button whose
action id is the label itself ("A", "对") works too. The tap's action data is read from `content`,
or `value` (older SDKs).

Wire facts (shared/research/channels-and-meetings.md, the SDK's card_callback.py): a tap arrives
on the Stream topic /v1.0/card/instances/callback with `outTrackId`, `userId` (the staff id) and
`content` = JSON {"cardPrivateData": {"actionIds": [...], "params": {...}}}; a card is created and
delivered in one call (POST /v1.0/card/instances/createAndDeliver) and updated with
PUT /v1.0/card/instances (`privateData` for one member, `cardData` for everyone)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from bot.channels.common import card_keys
from bot.messages import Outgoing
from safeio.text import encodable

__all__ = ["CardTap", "out_track_id", "question_of", "question_card_data", "answered_data",
           "closed_data", "stale_data", "parse_tap", "open_space", "deliver_body", "update_body", "callback_response",
           "text_fallback", "fits", "OPEN_STATUS", "PARAM_MAX_BYTES"]

PARAM_MAX_BYTES = 1024  # DingTalk refuses a cardParamMap value longer than 1 KB
OUT_TRACK_MAX = 64  # DingTalk's card instance id; ours is shorter still
OPEN_STATUS = "点击选项作答，以第一次作答为准；也可以 @我 回复选项字母。"
_LABEL = re.compile(r"^(?:[A-H]|对|错)$")


def out_track_id(key: str) -> str:
    """`<key, encoded>.<random>` ("contest_3A12_3Aq0.3f9a…"): the part before the dot reads back as
    the question's key (`question_of`), even when the card itself is forgotten."""
    return f"{card_keys.encode(key, OUT_TRACK_MAX - 13)}.{uuid.uuid4().hex[:12]}"


def question_of(track_id: str) -> str:
    """The key of the question a card was made for; for an id we did not make, the id itself (the
    core answers a tap on it as on an unknown card)."""
    base, dot, _ = track_id.rpartition(".")
    key = card_keys.decode(base) if dot else None
    return track_id if key is None else key


def _title(message: Outgoing) -> str:
    first = message.text.splitlines()[0] if message.text else "知识竞赛"
    return first[:40]


def question_card_data(message: Outgoing) -> dict[str, str]:
    """The card of a question with single-choice buttons (单选, 判断)."""
    options = [{"label": label, "text": _option_text(message.text, label)} for label in message.choices]
    return {"title": _title(message), "stem": message.markdown or message.text,
            "options": json.dumps(options, ensure_ascii=False), "status": OPEN_STATUS,
            "my_status": "", "answered": "false", "closed": "false"}


def fits(card_data: dict[str, str]) -> bool:
    """Whether DingTalk takes these values (each at most 1 KB in UTF-8)."""
    return all(len(value.encode("utf-8")) <= PARAM_MAX_BYTES for value in card_data.values())


def answered_data(answer: str, note: str | None = None) -> dict[str, str]:
    """One member's view once the core took their answer (or told them it already had one): their
    answer and the core's note, nothing to press."""
    return {"my_status": _cut(f"已作答：{answer}。{note or '答案揭晓前不可更改。'}", 60), "answered": "true"}


def closed_data(answer: str) -> dict[str, str]:
    """Everyone's view once the question is over (shared variables only: no member's private data hides it)."""
    status = f"本题已结束，正确答案：{answer}" if answer else "本题已结束"
    return {"status": _cut(status, 300), "closed": "true"}  # well within 1 KB, however long the option


def stale_data(note: str | None = None) -> dict[str, str]:
    """One member's view when the core did not take their tap (the question is over, the card is not
    one it knows): its note, nothing to press."""
    return {"my_status": _cut(note or "本题已结束，请作答最新的题目。", 60), "answered": "true"}


def text_fallback(message: Outgoing, is_group: bool) -> str:
    """The question as text, where no card can be sent; in a group, a reminder to @ the robot
    (DingTalk delivers only messages that @ it)."""
    body = message.markdown or message.text
    if not message.choices or not is_group:
        return body  # the question already says how to answer
    example = "".join(message.choices[:2]) if message.multiple else message.choices[0]
    return f"{body}\n（群里作答请先 @我，例如「@我 {example}」）"


@dataclass(frozen=True)
class CardTap:
    """A member's tap on a card, as the card callback tells it."""
    out_track_id: str
    user_id: str
    choice: str  # "A", "对"; "" when the tap carries no option (another button)
    space_id: str = ""  # the conversation, when DingTalk says it


def parse_tap(data: Any) -> CardTap | None:
    """The tap in a card callback's data, or None when it lacks the card or the member."""
    if not isinstance(data, dict):
        return None
    track_id, user_id = data.get("outTrackId"), data.get("userId")
    if not isinstance(track_id, str) or not track_id or not isinstance(user_id, str) or not user_id:
        return None
    if encodable(track_id) != track_id or encodable(user_id) != user_id:
        return None  # no card or member of ours has such an id, and the database could not look it up
    content = data.get("content") or data.get("value")  # `value`: older SDKs
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            content = {}
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    private = private if isinstance(private, dict) else {}
    params = private.get("params") if isinstance(private.get("params"), dict) else {}
    candidates = [params.get("choice"), params.get("answer")]
    actions = private.get("actionIds")
    if isinstance(actions, list):
        candidates += list(reversed(actions))
    choice = next((label for label in map(_label, candidates) if label), "")
    space = data.get("spaceId") if isinstance(data.get("spaceId"), str) else ""
    return CardTap(track_id, user_id, choice, space)


def _label(value: Any) -> str:
    """An option label ("A", "对") in a tap's parameters, or ""."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    value = value if value in ("对", "错") else value.upper()
    return value if _LABEL.match(value) else ""


def open_space(chat_id: str, is_group: bool) -> str:
    return f"dtv1.card//IM_GROUP.{chat_id}" if is_group else f"dtv1.card//IM_ROBOT.{chat_id}"


def deliver_body(*, template_id: str, track_id: str, robot_code: str, chat_id: str, is_group: bool,
                 card_data: dict[str, str]) -> dict[str, Any]:
    """The body of POST /v1.0/card/instances/createAndDeliver; taps come back over Stream."""
    body: dict[str, Any] = {
        "cardTemplateId": template_id, "outTrackId": track_id, "callbackType": "STREAM",
        "cardData": {"cardParamMap": card_data}, "openSpaceId": open_space(chat_id, is_group), "userIdType": 1,
    }
    if is_group:
        body["imGroupOpenSpaceModel"] = {"supportForward": False}
        body["imGroupOpenDeliverModel"] = {"robotCode": robot_code}
    else:
        body["imRobotOpenSpaceModel"] = {"supportForward": False}
        body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": robot_code}
    return body


def update_body(track_id: str, *, card_data: dict[str, str] | None = None,
                private: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The body of PUT /v1.0/card/instances: only the keys given change."""
    body: dict[str, Any] = {"outTrackId": track_id, "userIdType": 1,
                            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True}}
    if card_data is not None:
        body["cardData"] = {"cardParamMap": card_data}
    if private:
        body["privateData"] = {user: {"cardParamMap": values} for user, values in private.items()}
    return body


def callback_response(private: dict[str, str]) -> dict[str, Any]:
    """The response to a card callback that changes the tapping member's card (their private data)."""
    return {"cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "userPrivateData": {"cardParamMap": private}}


def _option_text(text: str, label: str) -> str:
    for line in text.splitlines():
        match = re.match(rf"^\s*{re.escape(label)}[.．、]\s*(.*)$", line)
        if match:
            return _cut(match[1], 40)
    return ""


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
