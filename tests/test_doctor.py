"""`studybot doctor` against a fake platform API on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.http_api import Answer, FakeHTTPAPI, Recorded
from helpers import create_database
from typer.testing import CliRunner

from bot.cli import build_cli

runner = CliRunner()
cli = build_cli()


def _token(request: Recorded) -> Answer:
    """Any request: a token for the secret "right" (corpsecret or secret), errcode 40001 otherwise."""
    good = "right" in (request.query.get("corpsecret"), request.query.get("secret"))
    return {"access_token": "T", "expires_in": 7200} if good else {"errcode": 40001, "errmsg": "invalid credential"}


@pytest.fixture
def api():
    with FakeHTTPAPI(answer=_token) as fake:
        yield fake.url


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env):
    monkeypatch.chdir(tmp_path)


def config(tmp_path: Path, api: str, secret: str) -> Path:
    path = tmp_path / "studybot.yaml"
    path.write_text(f"""database:
  url: sqlite:///{tmp_path / 't.db'}
wecom:
  corp_id: ww1
  api_base_url: {api}
  app: {{agent_id: 1000002, secret: env:TEST_WECOM_SECRET, token: t,
        encoding_aes_key: kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C}}
  webhooks: {{第一党支部: 693a91f6-7a2b-4bc4-97a0-0ec2cafa5aaa, 第二党支部: https://wrong}}
wechat_mp: {{app_id: wx1, app_secret: {secret}, token: t, api_base_url: {api}}}
""", encoding="utf-8")
    create_database(f"sqlite:///{tmp_path / 't.db'}")  # doctor reads it, and refuses one that is not there
    return path


def test_doctor_reports_each_channel(tmp_path, api, monkeypatch):
    monkeypatch.setenv("TEST_WECOM_SECRET", "right")
    result = runner.invoke(cli, ["doctor", "-c", str(config(tmp_path, api, "wrong"))])
    lines = result.stdout.splitlines()
    assert "✅ 企业微信自建应用：凭据有效，已取得 access_token" in lines
    assert "❌ 微信公众号：平台拒绝：errcode 40001 invalid credential" in lines
    assert "✅ 群「第一党支部」的消息推送 webhook：key 格式正确（未实际发送）" in lines
    assert any(line.startswith("❌ 群「第二党支部」") for line in lines)
    assert result.exit_code == 1
    assert "right" not in result.stdout  # no secret printed


def test_doctor_without_channels_is_fine(tmp_path):
    (tmp_path / "studybot.yaml").write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n", encoding="utf-8")
    create_database(f"sqlite:///{tmp_path / 't.db'}")
    result = runner.invoke(cli, ["doctor"])
    assert result.exit_code == 0
    assert "studybot run 使用本地聊天" in result.stdout


@pytest.mark.parametrize("mp_extra, expected", [
    ("", "⚠️ 微信公众号消息加解密：明文模式"),
    (", encoding_aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "✅ 微信公众号消息加解密：安全模式"),
    (", encoding_aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C, accept_plaintext: true",
     "⚠️ 微信公众号消息加解密：兼容模式"),
], ids=["plain", "safe", "compatible"])
def test_doctor_says_how_the_official_account_takes_messages(tmp_path, api, mp_extra, expected):
    (tmp_path / "studybot.yaml").write_text(f"""database:
  url: sqlite:///{tmp_path / 't.db'}
wechat_mp: {{app_id: wx1, app_secret: right, token: t, api_base_url: {api}{mp_extra}}}
""", encoding="utf-8")
    create_database(f"sqlite:///{tmp_path / 't.db'}")
    result = runner.invoke(cli, ["doctor"])
    line = next(line for line in result.stdout.splitlines() if "消息加解密" in line)
    assert line.startswith(expected), line
    if "兼容" in expected:
        assert "明文" in line and "accept_plaintext" in line
    if "明文模式" in expected:
        assert "encoding_aes_key" in line and "5 分钟" in line
    assert result.exit_code == 0  # a warning, not a failure


def test_doctor_shows_the_dingtalk_quota_spent_this_month(tmp_path, api):
    from datetime import date

    from bot.clock import SystemClock
    from bot.storage.db import Database
    from bot.storage.metered import count_call

    (tmp_path / "studybot.yaml").write_text(f"""database:
  url: sqlite:///{tmp_path / 't.db'}
dingtalk: {{client_id: ding1, client_secret: s, openapi_endpoint: {api}, quota_per_month: 1000}}
""", encoding="utf-8")
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    today = SystemClock().now().date()
    with db.session() as session:
        count_call(session=session, channel="dingtalk", day=today, calls=820)
        count_call(session=session, channel="dingtalk", day=date(2000, 1, 1), calls=500)  # another month
        session.commit()
    db.dispose()
    result = runner.invoke(cli, ["doctor"])
    assert ("⚠️ 钉钉开放接口月度额度：本月已调用 820 次（额度 1000 次，82%），今日 820 次；已超过 80%，已提醒管理员"
            in result.stdout.splitlines()), result.stdout
