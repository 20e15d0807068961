"""Config values that used to pass validation and fail later (when a channel starts, with a traceback): an
EncodingAESKey of the wrong shape, an address that is not a URL, a reminder too far away to be a time. Each is
refused by `load_settings` with its key path and a Chinese reason, and `studybot doctor` / `run` exit 2 with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.settings import ConfigError, load_settings

KEY = "kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters of Base64, 32 bytes decoded
AES_REASON = "应为 43 个字符的 EncodingAESKey（Base64，解码后 32 字节）"

WECOM_APP = {"corp_id": "ww1", "app": {"agent_id": 1000002, "secret": "s", "token": "t", "encoding_aes_key": KEY}}
ROBOT = {"robot": {"mode": "callback", "token": "t", "encoding_aes_key": KEY}}
MP = {"app_id": "wx1", "app_secret": "s", "token": "t", "encoding_aes_key": KEY}
DINGTALK = {"client_id": "ding1", "client_secret": "s"}


def with_value(path: str, value: Any) -> dict[str, Any]:
    """A config with every channel on and `value` at the dotted `path`."""
    wecom = {**WECOM_APP, "app": dict(WECOM_APP["app"]), "robot": dict(ROBOT["robot"])}
    data: dict[str, Any] = {"wecom": wecom, "wechat_mp": dict(MP), "dingtalk": dict(DINGTALK)}
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return data


def problem(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(Path("/dev/null"), data)
    return str(info.value)


def test_every_channel_with_good_values_loads() -> None:
    settings = load_settings(Path("/dev/null"), with_value("wecom.api_base_url", "http://127.0.0.1:8080/"))
    assert settings.wecom is not None and settings.wecom.api_base_url == "http://127.0.0.1:8080/"


AES_KEYS = ["wecom.app.encoding_aes_key", "wecom.robot.encoding_aes_key", "wechat_mp.encoding_aes_key"]


@pytest.mark.parametrize("path", AES_KEYS)
@pytest.mark.parametrize("value", ["k", KEY[:-1], KEY + "A", KEY[:-1] + "!", KEY[:-1] + "中", " " * 43])
def test_an_encoding_aes_key_of_the_wrong_shape_is_refused_with_its_key_path(path: str, value: str) -> None:
    text = problem(with_value(path, value))
    assert f"  {path}: {AES_REASON}" in text
    assert f"「{value}」" not in text  # a secret is never repeated back


def test_an_encoding_aes_key_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_MP_AES_KEY", "short")
    text = problem(with_value("wechat_mp.encoding_aes_key", "env:TEST_MP_AES_KEY"))
    assert f"  wechat_mp.encoding_aes_key: {AES_REASON}，现为 5 个字符，请从后台重新复制" in text
    assert "short" not in text


URLS = [("wecom.api_base_url", "https"), ("wechat_mp.api_base_url", "https"), ("wecom.robot.ws_url", "wss"),
        ("dingtalk.openapi_endpoint", "https"), ("dingtalk.webhook_base_url", "https")]


@pytest.mark.parametrize(("path", "scheme"), URLS)
@pytest.mark.parametrize("value", ["qyapi.weixin.qq.com", "https//x", "ftp://x.example", "https://", "http:///path",
                                   "https://exa mple.com", "https://x.example:99999", "", "中文"])
def test_an_address_that_is_not_a_url_is_refused_with_its_key_path(path: str, scheme: str, value: str) -> None:
    text = problem(with_value(path, value))
    expected = (f"应为 {scheme}:// 或 {scheme.rstrip('s')}:// 开头的网址"
                if scheme == "https" else "应为 wss:// 或 ws:// 开头的网址")
    assert f"  {path}: {expected}" in text, text


@pytest.mark.parametrize(("path", "value"), [
    ("wecom.api_base_url", "https://qyapi.weixin.qq.com"), ("wecom.api_base_url", "http://127.0.0.1:8080/proxy"),
    ("wecom.robot.ws_url", "ws://localhost:9000/ws"), ("dingtalk.webhook_base_url", "https://oapi.dingtalk.com/"),
    ("wechat_mp.api_base_url", "http://[::1]:8001")])
def test_a_url_loads_as_written(path: str, value: str) -> None:
    settings = load_settings(Path("/dev/null"), with_value(path, value))
    node: Any = settings
    for part in path.split("."):
        node = getattr(node, part)
    assert node == value


@pytest.mark.parametrize("value", ["9" * 30 + "d", "99999d", "²d", "-1h"])
def test_a_reminder_too_far_away_or_not_a_number_is_refused(value: str) -> None:
    text = problem({"meetings": {"reminders": [value]}})
    assert f"提醒时间「{value}」应形如 3d、1h、30m" in text


runner = CliRunner()


@pytest.mark.parametrize("command", [["doctor"], ["run"]])
@pytest.mark.parametrize(("path", "value", "reason"), [
    ("wechat_mp.encoding_aes_key", "short", AES_REASON),
    ("wecom.api_base_url", "qyapi.weixin.qq.com", "应为 https:// 或 http:// 开头的网址"),
    ("dingtalk.openapi_endpoint", "api.dingtalk.com", "应为 https:// 或 http:// 开头的网址"),
    ("meetings.reminders", ["9" * 30 + "d"], "应形如 3d、1h、30m")])
def test_doctor_and_run_exit_2_with_the_key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env,
                                                 command: list[str], path: str, value: Any, reason: str) -> None:
    import yaml

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "studybot.yaml"
    data = with_value(path, value) if not path.startswith("meetings") else {"meetings": {"reminders": value}}
    config.write_text(yaml.safe_dump({"database": {"url": f"sqlite:///{tmp_path / 't.db'}"}, **data},
                                     allow_unicode=True), encoding="utf-8")
    result = runner.invoke(build_cli(), [*command, "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"配置文件 {config} 有误：" in result.output and path in result.output and reason in result.output
    assert "Traceback" not in result.output
