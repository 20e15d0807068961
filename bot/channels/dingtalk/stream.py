"""The `dingtalk_stream` SDK client with our own connection loop.

We keep the SDK for what it does well: the frame classes, the handlers, the routing of a frame to
its topic's handler and the ack it sends back. We replace `DingTalkStreamClient.start()`, because
in dingtalk-stream 0.24 it
- waits a fixed 10 s after every failure, however long the outage (no backoff, every bot of a
  company retrying in step), and 3 s after an unknown error;
- opens the connection with a blocking `requests.post` on the event loop (the whole bot stalls
  while DingTalk is slow): ours runs in a thread;
- lets one malformed frame (`json.loads` fails) tear the connection down;
- leaves a callback of a topic nobody subscribed to unacked (DingTalk then redelivers it).

Its OpenAPI address is read from a module constant at import; ours is per instance, so tests and
private deployments point it anywhere."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import quote_plus, urlsplit

import requests
import websockets
from dingtalk_stream import AckMessage, Credential, DingTalkStreamClient
from dingtalk_stream.frames import CallbackMessage
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from bot.channels.common.aio import Sleep
from bot.channels.common.backoff import Backoff
from bot.channels.common.masking import without_query

__all__ = ["StreamClient", "OPEN_CONNECTION_PATH"]

log = logging.getLogger(__name__)

OPEN_CONNECTION_PATH = "/v1.0/gateway/connections/open"
HTTP_TIMEOUT = 10.0
PING_INTERVAL = 20.0  # websockets pings; a silent dead connection is noticed within ~40 s


class StreamClient(DingTalkStreamClient):
    """`backoff` paces the reconnects, on `sleep`."""

    def __init__(self, credential: Credential, *, openapi_endpoint: str, backoff: Backoff, sleep: Sleep) -> None:
        super().__init__(credential, logger=logging.getLogger("dingtalk_stream.client"))
        self._endpoint = openapi_endpoint.rstrip("/")
        self._backoff, self._sleep = backoff, sleep
        self._unknown_topics: set[str] = set()
        self._answering: set[asyncio.Task[None]] = set()  # callbacks whose ack waits for their answer

    # ----- connection -----

    def open_connection(self) -> dict | None:
        """Blocking: ask the gateway for a websocket address and ticket (None on failure)."""
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map],
            "ua": "studybot",
            "localIp": self.get_host_ip(),
        }
        try:
            response = requests.post(self._endpoint + OPEN_CONNECTION_PATH, json=body, timeout=HTTP_TIMEOUT,
                                     headers={"Accept": "application/json"})
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.error("dingtalk: open connection at %s failed: %s", self._endpoint, without_query(str(exc)))
            return None
        if not isinstance(answer, dict) or not answer.get("endpoint") or not answer.get("ticket"):
            log.error("dingtalk: open connection at %s answered without endpoint or ticket", self._endpoint)
            return None
        return answer

    def get_host_ip(self) -> str:
        host = urlsplit(self._endpoint).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            return "127.0.0.1"  # the SDK would UDP-"connect" to 8.8.8.8 to learn it
        return super().get_host_ip()

    async def start(self) -> None:
        """Connect, read frames, reconnect with backoff; runs until cancelled."""
        self.pre_start()
        while True:
            connection = await asyncio.to_thread(self.open_connection)
            if connection is not None:
                await self._session(connection)
            delay = self._backoff.next_delay()
            log.warning("dingtalk: reconnecting in %.1f s", delay)
            await self._sleep(delay)

    async def _session(self, connection: dict[str, Any]) -> None:
        uri = f'{connection["endpoint"]}?ticket={quote_plus(str(connection["ticket"]))}'
        try:
            async with websockets.connect(uri, ping_interval=PING_INTERVAL, ping_timeout=PING_INTERVAL,
                                          open_timeout=HTTP_TIMEOUT, max_size=4 * 2**20) as ws:
                self.websocket = ws
                self._backoff.up()
                log.info("dingtalk: stream connected")
                async for raw in ws:
                    await self._on_raw(raw)
                log.warning("dingtalk: the gateway closed the stream")
        except ConnectionClosed as exc:
            log.warning("dingtalk: stream dropped: %s", exc)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            log.warning("dingtalk: stream connection failed: %s", without_query(str(exc)))
        finally:
            self.websocket = None

    # ----- frames -----

    async def _on_raw(self, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            log.warning("dingtalk: malformed frame ignored: %.80r", raw)
            return
        if not isinstance(frame, dict):
            log.warning("dingtalk: malformed frame ignored: %.80r", raw)
            return
        headers = frame.get("headers") if isinstance(frame.get("headers"), dict) else {}
        topic = headers.get("topic")
        if frame.get("type") == CallbackMessage.TYPE:
            if topic not in self.callback_handler_map:
                if topic not in self._unknown_topics:  # once per topic: DingTalk may send many
                    self._unknown_topics.add(str(topic))
                    log.warning("dingtalk: callback on unknown topic %s acknowledged and ignored", topic)
                await self._refuse(headers, AckMessage.STATUS_NOT_IMPLEMENT, "unknown topic")
                return
            if not _json_object(frame.get("data")):
                log.warning("dingtalk: callback %s on %s without a JSON object as data acknowledged and ignored",
                            headers.get("messageId"), topic)
                await self._refuse(headers, AckMessage.STATUS_BAD_REQUEST, "malformed data")
                return
        if getattr(self.callback_handler_map.get(topic), "acks_with_answer", False):
            # A handler whose ack carries the answer (a tap's card change) waits for that work: in a task of
            # its own, so the next frames are read and acked meanwhile; the work is queued (`received`)
            # before the next frame is read, so it stays in the order the frames came, and the next frames
            # are read at once rather than one per job the core does (their acks' deadlines run from here).
            handler = self.callback_handler_map[topic]
            try:
                handler.received(frame)  # its work queued now, before the next frame is read
            except Exception:  # a frame the handler cannot read is still answered below
                log.warning("dingtalk: callback %s could not be read", headers.get("messageId"), exc_info=True)
            task = asyncio.get_running_loop().create_task(self.background_task(frame))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
            return
        # Routed inline, before the next frame is read: our handlers only queue the work, so the
        # ack leaves at once, in order, even in a burst (a task per frame would queue each ack
        # behind the work of every frame before it).
        await self.background_task(frame)

    async def _refuse(self, headers: dict[str, Any], code: int, reason: str) -> None:
        """Ack a callback we will not process, so that DingTalk does not deliver it again."""
        message_id = headers.get("messageId")
        if not message_id or self.websocket is None:
            return
        ack = {"code": code, "message": reason,
               "headers": {"contentType": "application/json", "messageId": message_id},
               "data": json.dumps({"response": None})}
        try:
            await self.websocket.send(json.dumps(ack))
        except ConnectionClosed:
            pass  # the frame comes again on the next connection


def _json_object(data: Any) -> bool:
    if isinstance(data, dict):
        return True
    try:
        return isinstance(data, (str, bytes)) and isinstance(json.loads(data), dict)
    except ValueError:
        return False
