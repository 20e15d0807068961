"""A chatbot frame's data as a channel-neutral Incoming. The frame comes over an authenticated stream, but its
fields are JSON of any shape: the SDK's `ChatbotMessage.from_dict` trusts them (int() on the expiry, ['text'] on
a text message), so each field we read is checked first, and a frame that fails is one warning line, not a
traceback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dingtalk_stream import ChatbotMessage

from bot.channels.common.mentions import strip_mentions
from bot.messages import Chat, Incoming, Sender

__all__ = ["incoming_from", "frame_problem"]

_TEXTS = ("msgId", "conversationId", "conversationType", "senderStaffId", "senderId", "senderNick",
          "conversationTitle", "sessionWebhook", "msgtype", "robotCode", "chatbotUserId")


def frame_problem(data: dict[str, Any]) -> str | None:
    """Why `data` cannot be read as a chatbot message (a few words for the log), or None."""
    for key in _TEXTS:
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"{key} is not a string"
    expiry = data.get("sessionWebhookExpiredTime")
    if expiry is not None and (isinstance(expiry, bool) or not isinstance(expiry, int | str)
                               or (isinstance(expiry, str) and not expiry.isdigit())):
        return "sessionWebhookExpiredTime is not a number"
    if data.get("msgtype") == "text" and not (isinstance(data.get("text"), dict)
                                              and isinstance(data["text"].get("content", ""), str)):
        return "text.content is not a string"
    if data.get("msgtype") in ("picture", "richText") and not isinstance(data.get("content"), dict):
        return "content is not an object"
    for key in ("atUsers", "conversationMsgContext"):
        if data.get(key) is not None and not (isinstance(data[key], list)
                                              and all(isinstance(item, dict) for item in data[key])):
            return f"{key} is not a list of objects"
    if data.get("hostingContext") is not None and not isinstance(data["hostingContext"], dict):
        return "hostingContext is not an object"
    return None


def incoming_from(msg: ChatbotMessage, channel: str, received_at: datetime, bot_name: str) -> Incoming | None:
    """The channel-neutral message, or None when the frame lacks what we need."""
    if not msg.message_id or not msg.conversation_id:
        return None
    user_id = msg.sender_staff_id or msg.sender_id
    if not user_id:
        return None
    if msg.conversation_type == "2":
        chat = Chat(channel, msg.conversation_id, True, name=msg.conversation_title or msg.conversation_id)
    else:
        chat = Chat(channel, user_id, False)
    raw = msg.text.content if msg.text is not None and msg.text.content else ""
    return Incoming(chat=chat, sender=Sender(user_id, msg.sender_nick or user_id),
                    text=strip_mentions(raw, bot_name), message_id=str(msg.message_id), received_at=received_at,
                    mentioned=msg.conversation_type != "2" or bool(msg.is_in_at_list in (None, True)),
                    reply_handle=(msg.session_webhook, msg.session_webhook_expired_time))
