"""The answer-policy contract (tests/answer_policy_contract.py) through each adapter with cards, on
its fake platform, in front of the real core: the WeCom smart robot's long connection (fake WeCom
server), its HTTP callback mode (real uvicorn, WeCom's crypto, a fake 消息推送 webhook) and DingTalk
Stream (fake gateway)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from answer_policy_contract import CARD, PROBE, START, CardView, Core, play
from fakes.dingtalk_gateway import FakeDingTalkGateway, param_text, text_of
from fakes.wecom_api import FakeWeComAPI
from fakes.wecom_ws_server import FakeWeComServer, content, reply_to
from helpers import T0, make_app, serving
from test_wecom_robot_http import GROUP, HOOK, Member, Served, Wire, build, click_msg, stream_content

from bot.channels.dingtalk.channel import DingTalkChannel
from bot.channels.wecom.ws import WeComRobotWS
from bot.clock import ManualClock
from bot.messages import Chat, Outgoing

_probes = itertools.count(1)


def wecom_text(body: dict[str, Any]) -> str:
    """A WeCom message as the group reads it: a card as CARD and its title and text."""
    if body.get("msgtype") == "template_card":
        card = body["template_card"]
        title = card["main_title"]
        return CARD + "\n".join(filter(None, [title.get("title"), card.get("sub_title_text") or title.get("desc")]))
    return content({"body": body})


def wecom_view(card: dict[str, Any]) -> CardView:
    buttons = card.get("button_list") or []
    label = buttons[0]["text"] if buttons else card.get("submit_button", {}).get("text", "")
    assert len(buttons) <= 1, "nothing left to press after a note"
    return CardView(label.removeprefix("已作答：") if label.startswith("已作答：") else "",
                    card["main_title"].get("desc", ""))


def unprobed(texts: list[str]) -> list[str]:
    return [t for t in texts if PROBE not in t]


def probe_for() -> tuple[str, str]:
    """A probe, and what a member types to have the core answer with it (a search for it, found nowhere)."""
    probe = f"{PROBE}{next(_probes)}"
    return probe, f"搜索 {probe}"


class WeComLongConnection:
    closes_cards, pushes_cards = False, True
    text_above_card = True
    forged_id = "forged_zz@1"

    def __init__(self, server: FakeWeComServer, adapter: WeComRobotWS, core: Core) -> None:
        self.server, self.adapter, self.core = server, adapter, core
        self.group = Chat("wecom", "g1", True, "g1")

    async def start_contest(self) -> Any:
        mark = len(self.server.received)
        req = await self.server.say("u9", f"@学习助手 {START}")
        assert "发起了知识竞赛" in content(await self.server.wait_for(reply_to(req)))  # the intro, then the card
        frame = await self.server.wait_for(lambda f: f.get("cmd") == "aibot_send_msg"
                                           and f["body"]["msgtype"] == "template_card", after=mark)
        return frame["body"]["template_card"]

    async def tap(self, user: str, card: Any, choice: str) -> CardView:
        req = await self.server.click(user, card, key=f"{card['task_id']}:{choice}")
        body = (await self.server.wait_for(reply_to(req, "aibot_respond_update_msg")))["body"]
        assert body["response_type"] == "update_template_card" and body["userids"] == [user]
        assert body["template_card"]["task_id"] == card["task_id"]
        return wecom_view(body["template_card"])

    async def tap_forged(self, user: str, choice: str) -> CardView:
        return await self.tap(user, {"card_type": "button_interaction", "task_id": self.forged_id}, choice)

    async def type(self, user: str, text: str) -> None:
        await self.server.say(user, f"@学习助手 {text}")

    async def send(self, message: Outgoing) -> None:
        self.adapter.send(message)

    async def time_up(self) -> None:
        self.core.time_up()
        self.core.app.fire_due_timers()  # as the service's ticker would, on this loop: no waiting for its tick

    def mark(self) -> int:
        return len(self.server.received)

    async def group_since(self, mark: int) -> list[str]:
        probe, typed = probe_for()
        await self.server.wait_for(reply_to(await self.server.say("u9", f"@学习助手 {typed}")))  # handled in order
        self.adapter.send(Outgoing(self.group, probe + " 推送"))  # queued after what the frames before queued
        await self.server.wait_for(lambda f: f.get("cmd") == "aibot_send_msg" and probe in wecom_text(f["body"]),
                                   after=mark)
        return unprobed([wecom_text(f["body"]) for f in self.server.received[mark:]
                         if f.get("cmd") == "aibot_respond_msg"  # every message here is said in the group
                         or f.get("cmd") == "aibot_send_msg" and f["body"].get("chatid") == self.group.chat_id])


class WeComCallback:
    closes_cards, pushes_cards = False, False
    text_above_card = False
    forged_id = "forged_zz@1"

    def __init__(self, served: Served, http: httpx.Client, api: FakeWeComAPI, core: Core) -> None:
        self.served, self.http, self.api, self.core = served, http, api, core
        self.group = Chat("wecom", GROUP, True, GROUP)
        self.wire = Wire()
        self.passive: list[str] = []  # what the group saw as passive replies

    def _member(self, user: str) -> Member:
        return Member(self.http, self.wire, user)

    async def start_contest(self) -> Any:
        reply = await asyncio.to_thread(self._member("u9").say, START)
        assert reply is not None and reply["msgtype"] == "stream_with_template_card"  # the intro and the card
        assert "发起了知识竞赛" in stream_content(reply)
        return reply["template_card"]

    async def tap(self, user: str, card: Any, choice: str) -> CardView:
        update = await asyncio.to_thread(self._member(user).post, click_msg(user, card, choice))
        assert update is not None and update["response_type"] == "update_template_card"
        assert update["userids"] == [user] and update["template_card"]["task_id"] == card["task_id"]
        return wecom_view(update["template_card"])

    async def tap_forged(self, user: str, choice: str) -> CardView:
        card = {"card_type": "button_interaction", "task_id": self.forged_id,
                "button_list": [{"text": choice, "key": f"{self.forged_id}:{choice}"}]}
        return await self.tap(user, card, choice)

    async def type(self, user: str, text: str) -> None:
        reply = await asyncio.to_thread(self._member(user).say, text)
        if reply is not None:
            self.passive.append(wecom_text(reply) if "template_card" in reply else stream_content(reply))

    async def send(self, message: Outgoing) -> None:
        await asyncio.to_thread(self.served.call, lambda: self.served.channel.send(message))

    async def time_up(self) -> None:
        self.core.time_up()
        await asyncio.to_thread(self.served.call, self.served.app.fire_due_timers)

    def mark(self) -> tuple[int, int]:
        return len(self.api.received()), len(self.passive)

    async def group_since(self, mark: tuple[int, int]) -> list[str]:
        probe, _ = probe_for()
        await self.send(Outgoing(self.group, probe))  # the group's webhook sends in order

        def sent() -> list[str]:
            count = mark[0] + 1
            while probe not in (texts := [r.content for r in self.api.wait_for(count)])[-1]:
                count += 1
            return texts

        texts = await asyncio.to_thread(sent)
        return unprobed(texts[mark[0]:] + self.passive[mark[1]:])


class DingTalkStream:
    closes_cards, pushes_cards = True, True
    text_above_card = False
    forged_id = "forged_zz.1"

    def __init__(self, gateway: FakeDingTalkGateway, adapter: DingTalkChannel, core: Core) -> None:
        self.gateway, self.adapter, self.core = gateway, adapter, core
        self.group = Chat("dingtalk", "cid-g1", True, "第一党支部")
        self._updates = 0

    async def start_contest(self) -> Any:
        mark = len(self.gateway.card_sends)
        await self.type("u9", START)
        return await self.gateway.wait_for_card(lambda c: True, after=mark)

    async def _update(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        found: dict[str, Any] = await self.gateway._changes.until(
            lambda: next((u for u in self.gateway.card_updates[self._updates:] if match(u)), None), 5.0,
            lambda: f"no matching card update: {self.gateway.card_updates[self._updates:]}")
        self._updates = self.gateway.card_updates.index(found) + 1
        return found

    async def tap(self, user: str, card: Any, choice: str, **kw: Any) -> CardView:
        updates = len(self.gateway.card_updates)
        ack = await self.gateway.wait_ack(await self.gateway.tap(user, card, choice, **kw))
        # the member's card changes with the callback's response (no update request of its own)
        response = json.loads(ack["data"])["response"]
        assert response["cardUpdateOptions"]["updatePrivateDataByKey"] is True
        data = response["userPrivateData"]["cardParamMap"]
        assert not any("privateData" in u for u in self.gateway.card_updates[updates:])
        assert data["answered"] == "true"  # nothing left to press for this member
        mine = data["my_status"]  # the member's own variable (私有化): it never hides the shared `status`
        answered, _, text = mine.partition("。") if mine.startswith("已作答：") else ("", "", "")
        return CardView(answered.removeprefix("已作答："), text) if answered else CardView("", mine)

    async def tap_forged(self, user: str, choice: str) -> CardView:
        return await self.tap(user, {"outTrackId": self.forged_id}, choice, space="cid-g1")

    async def type(self, user: str, text: str) -> None:
        stream_id = await self.gateway.push(self.gateway.chatbot_data(user, text))
        await self.gateway.wait_ack(stream_id)

    async def send(self, message: Outgoing) -> None:
        self.adapter.send(message)

    async def time_up(self) -> None:
        self.core.time_up()
        self.core.app.fire_due_timers()  # as the service's ticker would, on this loop: no waiting for its tick

    def mark(self) -> tuple[int, int, int, int]:
        g = self.gateway
        return len(g.replies), len(g.openapi_sends), len(g.card_sends), len(g.robot_sends)

    async def group_since(self, mark: tuple[int, int, int, int]) -> list[str]:
        probe, typed = probe_for()
        await self.type("u9", typed)  # handled after every frame before, its reply sent after theirs
        await self.gateway.wait_for(lambda body: probe in text_of(body), after=mark[0])
        g = self.gateway
        return unprobed([text_of(body) for _, body in g.replies[mark[0]:]]
                        + [param_text(body) for _, _, body in g.openapi_sends[mark[1]:]
                           if body.get("openConversationId") == self.group.chat_id]
                        + [CARD + card["cardData"]["cardParamMap"]["stem"] for card in g.card_sends[mark[2]:]]
                        + [json.dumps(body, ensure_ascii=False) for _, body, _ in g.robot_sends[mark[3]:]])

    async def closed_for_everyone(self, card: Any) -> str:
        update = await self._update(lambda u: u["outTrackId"] == card["outTrackId"] and "cardData" in u)
        shared = update["cardData"]["cardParamMap"]
        assert shared["closed"] == "true"
        return str(shared["status"])


# ----- the adapters on their fakes -----

@contextlib.asynccontextmanager
async def wecom_long_connection(tmp_path: Path) -> AsyncIterator[WeComLongConnection]:
    async with FakeWeComServer() as server:
        Core.bank(tmp_path)
        app = make_app(tmp_path, ManualClock(T0), wecom={"corp_id": "x", "robot": {
            "mode": "websocket", "bot_id": "B", "secret": "S", "ws_url": server.url}})
        core = Core(app, branch="g1", channel="wecom")
        adapter = WeComRobotWS(app=app, settings=app.settings.wecom.robot, seed=7)
        async with serving(app, adapter):
            await server.wait_connected()
            yield WeComLongConnection(server, adapter, core)


@contextlib.asynccontextmanager
async def wecom_callback(tmp_path: Path) -> AsyncIterator[WeComCallback]:
    with FakeWeComAPI(webhook_keys={HOOK}) as api:
        Core.bank(tmp_path)
        app, channel = build(tmp_path, ManualClock(T0), api_url=api.url, webhooks={GROUP: HOOK})
        core = Core(app, branch=GROUP, channel="wecom")
        try:
            with Served(app, channel) as served, httpx.Client(base_url=served.url, timeout=5) as http:
                yield WeComCallback(served, http, api, core)
        finally:
            app.close()


@contextlib.asynccontextmanager
async def dingtalk_stream(tmp_path: Path) -> AsyncIterator[DingTalkStream]:
    async with FakeDingTalkGateway() as gateway:
        Core.bank(tmp_path)
        app = make_app(tmp_path, ManualClock(T0))
        core = Core(app, branch="第一党支部", channel="dingtalk")
        adapter = DingTalkChannel(app=app, client_id="ding-id", client_secret="ding-secret",
                                  openapi_endpoint=gateway.endpoint, card_template_id="tpl-quiz.schema")
        async with serving(app, adapter):
            await gateway.wait_connected()
            yield DingTalkStream(gateway, adapter, core)


ADAPTERS = {"wecom-long-connection": wecom_long_connection, "wecom-callback": wecom_callback,
            "dingtalk-stream": dingtalk_stream}


@pytest.mark.parametrize("window", [0, 0.003], ids=["one-by-one", "batched"])
@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_the_core_decides_taps_and_notes_reach_only_the_member(tmp_path: Path, adapter: str, window: float) -> None:
    """`batched`: the ingress open, as in `studybot run`: each message's replies wait for its batch's commit."""
    async def scenario() -> None:
        async with ADAPTERS[adapter](tmp_path) as harness:
            harness.core.batch(window)
            await play(harness)
            assert (harness.core.batched > 0) == (window > 0)

    asyncio.run(asyncio.wait_for(scenario(), 30))
