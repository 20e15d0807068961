"""`studybot run` with platform channels: the registry builds what studybot.yaml configures and the
service serves it — HTTP routes up, the WeCom long connection subscribed, a contest played through it."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from fakes.wecom_ws_server import FakeWeComServer
from helpers import TEST_BANK_NAME, write_bank

from bot.app import build_app
from bot.channels.registry import add_platform_channels
from bot.service import PortUnavailable, serve
from bot.settings import load_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_serves_the_configured_channels_and_plays_a_contest(tmp_path: Path):
    bank_dir = tmp_path / "banks"
    write_bank(bank_dir)
    port = free_port()

    async def scenario() -> None:
        async with FakeWeComServer() as ws:
            settings = load_settings(Path("/dev/null"), {
                "database": {"url": f"sqlite:///{tmp_path}/t.db"},
                "quizzes": {"bank_dirs": [str(bank_dir)], "default_bank": TEST_BANK_NAME, "sample_bank": False},
                "server": {"port": port},
                "wecom": {"corp_id": "ww1", "robot": {"mode": "websocket", "bot_id": "B", "secret": "S",
                                                      "ws_url": ws.url},
                          "app": {"agent_id": 1000002, "secret": "s", "token": "t",
                                  "encoding_aes_key": "a" * 43}},
                "wechat_mp": {"app_id": "wx1", "app_secret": "s", "token": "t"},
            })
            app = build_app(settings, seed=1)
            assert sorted(c.name for c in add_platform_channels(app)) == ["wechat_mp", "wecom"]
            stop = asyncio.Event()
            service = asyncio.create_task(serve(app, stop))
            try:
                await ws.wait_connected()
                async with httpx.AsyncClient() as client:  # listening since before the robot connected
                    health = (await client.get(f"http://127.0.0.1:{port}/healthz")).json()
                    assert health == {"ok": True, "channels": ["wechat_mp", "wecom"]}
                    # the routes of every configured part are mounted
                    for path in ("/wecom/app", "/wechat/mp"):
                        assert (await client.get(f"http://127.0.0.1:{port}{path}")).status_code in (400, 403)
                req = await ws.say("u1", "@学习助手 开始竞赛 测试题库 1")
                first = await ws.wait_for(lambda f: f.get("headers", {}).get("req_id") == req
                                          and f.get("cmd") == "aibot_respond_msg")
                assert "发起了练习赛" in str(first)  # u1 is no 书记
            finally:
                stop.set()
                await asyncio.wait_for(service, 10)

    asyncio.run(scenario())


def test_a_dingtalk_section_adds_the_dingtalk_channel(tmp_path: Path):
    settings = load_settings(Path("/dev/null"), {
        "database": {"url": f"sqlite:///{tmp_path}/t.db"},
        "dingtalk": {"client_id": "id", "client_secret": "secret", "openapi_endpoint": "http://127.0.0.1:9"}})
    app = build_app(settings)
    try:
        assert [c.name for c in add_platform_channels(app)] == ["dingtalk"]
        assert "dingtalk" in app.channels
    finally:
        app.close()


def test_a_port_already_taken_stops_the_start_with_a_clear_message(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings(Path("/dev/null"), {
            "database": {"url": f"sqlite:///{tmp_path}/t.db"}, "server": {"port": port},
            "wechat_mp": {"app_id": "wx1", "app_secret": "s", "token": "t"}})
        app = build_app(settings)
        add_platform_channels(app)
        with pytest.raises(PortUnavailable, match=f"无法在 127.0.0.1:{port} 上监听.*server.port"):
            asyncio.run(serve(app))
        app.close()
