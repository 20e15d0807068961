"""The Official Account's template messages (模板消息): a push that carries a link (Outgoing.link: a contest's live
page for a WeChat branch's members, the members' pages after a binding is decided) goes out as the template the
committee chose in the Official Account's backstage, and a tap on it opens the page.

Unlike a customer-service message it needs no message from the member in the last 48 h, which is why links go this
way: a member who only ever opened the pages from the group has never written to the Official Account. A template's
fields are the committee's choice (类目模板: thing1, time2, ...), so studybot.yaml maps each field to what fills it:
{title} (the message's first line), {text} (the rest, without the link) and {time} (when it is sent). WeChat cuts a
thing field longer than 20 characters, or refuses it: each value is cut to 20 here, with an ellipsis."""

from __future__ import annotations

import asyncio
from datetime import datetime

import requests
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.common.attempts import requests_failure
from bot.channels.wechat_mp.send import api_error
from bot.messages import Outgoing
from bot.settings import LinkTemplateSettings

__all__ = ["template_data", "send_template", "VALUE_CHARS"]

VALUE_CHARS = 20  # a template's thing field holds at most this many characters


def _cut(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS - 1] + "…"


def template_data(message: Outgoing, fields: dict[str, str], now: datetime) -> dict[str, dict[str, str]]:
    """The template's data for `message`, each field filled as `fields` says."""
    title, _, rest = message.text.strip().partition("\n")
    text = rest.replace(message.link, "").strip() if message.link else rest.strip()
    values = {"title": _cut(title), "text": _cut(text.rstrip("：:")) or _cut(title), "time": now.strftime(
        "%Y年%m月%d日 %H:%M")}
    return {field: {"value": _cut(fill.format(**values))} for field, fill in fields.items()}


async def send_template(client: WeChatClient, openid: str, message: Outgoing, template: LinkTemplateSettings,
                        now: datetime) -> None:
    """One try (the outbox retries): NotDelivered when WeChat did not take it, saying whether it may have."""
    data = template_data(message, template.fields, now)
    try:
        await asyncio.to_thread(client.message.send_template, openid, template.template_id, data, message.link)
    except WeChatClientException as exc:
        raise api_error(exc, "template: ") from None
    except requests.RequestException as exc:  # the URL in its text holds the token: only the type
        raise requests_failure(exc) from None
