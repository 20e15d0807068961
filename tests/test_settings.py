"""Reading studybot.yaml into typed settings, with errors phrased for the person editing it."""

from pathlib import Path

import pytest

from bot.settings import CONFIG_ENV, ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no ./studybot.yaml unless a test writes one


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file():
    settings = load_settings()
    assert settings.bot.name == "学习助手"
    assert settings.database.url == "sqlite:///data/studybot.db"
    assert settings.quizzes.questions_per_contest == 5
    assert settings.quizzes.time_limit == 30
    assert settings.quizzes.bank_dirs == [Path("banks")]
    assert settings.scoring.base_points == 10
    assert settings.scoring.min_factor == 0.5
    assert settings.scoring.wrong_points == 0
    assert settings.groups == {}
    assert settings.timezone == "Asia/Shanghai"


def test_values_from_a_file_and_untouched_defaults(tmp_path):
    path = write(tmp_path / "my.yaml", "bot:\n  name: 党建小助手\nquizzes:\n  time_limit: 45\n"
                                       "groups:\n  第一党支部群: 第一党支部\n")
    settings = load_settings(path)
    assert settings.bot.name == "党建小助手"
    assert settings.quizzes.time_limit == 45
    assert settings.quizzes.questions_per_contest == 5
    assert settings.branch_for_group("wx-123", "第一党支部群") == "第一党支部"
    assert settings.branch_for_group("wx-456", "机关群") == "机关群"


def test_empty_file_gives_defaults(tmp_path):
    assert load_settings(write(tmp_path / "empty.yaml", "")).quizzes.time_limit == 30


def test_studybot_yaml_in_the_working_directory_is_used(tmp_path):
    write(tmp_path / "studybot.yaml", "quizzes:\n  time_limit: 60\n")
    assert load_settings().quizzes.time_limit == 60


def test_env_var_is_honoured(tmp_path, monkeypatch):
    write(tmp_path / "studybot.yaml", "quizzes:\n  time_limit: 60\n")
    other = write(tmp_path / "elsewhere.yaml", "quizzes:\n  time_limit: 90\n")
    monkeypatch.setenv(CONFIG_ENV, str(other))
    assert load_settings().quizzes.time_limit == 90


def test_explicit_path_beats_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(write(tmp_path / "env.yaml", "quizzes:\n  time_limit: 90\n")))
    assert load_settings(write(tmp_path / "cli.yaml", "quizzes:\n  time_limit: 15\n")).quizzes.time_limit == 15


def test_env_var_pointing_nowhere_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="找不到配置文件 .*missing.yaml"):
        load_settings()


def test_unknown_key_names_its_dotted_path(tmp_path):
    path = write(tmp_path / "c.yaml", "quizzes:\n  time_limt: 30\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    assert "quizzes.time_limt: 不认识的配置项" in message


def test_unknown_top_level_key(tmp_path):
    with pytest.raises(ConfigError, match="scorring: 不认识的配置项"):
        load_settings(write(tmp_path / "c.yaml", "scorring:\n  base_points: 5\n"))


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("quizzes:\n  time_limit: abc\n", "quizzes.time_limit"),
        ("scoring:\n  base_points: [1, 2]\n", "scoring.base_points"),
        ("quizzes:\n  time_limit: 1\n", "quizzes.time_limit"),  # out of range
        ("scoring:\n  wrong_points: 3\n", "scoring.wrong_points"),
        ("bot:\n  name: ''\n", "bot.name"),
        ("groups: [a, b]\n", "groups"),
        ("timezone: UTC\n", "timezone"),
    ],
)
def test_wrong_value_names_the_path(tmp_path, text, path):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path / "c.yaml", text))
    assert f"  {path}: " in str(info.value)


def test_all_problems_are_listed(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path / "c.yaml", "quizzes:\n  time_limit: abc\n  colour: red\n"))
    assert "quizzes.time_limit" in str(info.value) and "quizzes.colour" in str(info.value)


def test_bad_yaml_names_the_line(tmp_path):
    path = write(tmp_path / "c.yaml", "bot:\n  name: 助手\nquizzes:\n  time_limit: 30\n   bad: [\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert f"配置文件 {path} 第 5 行不是有效的 YAML" in str(info.value)


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="顶层应是键值对"):
        load_settings(write(tmp_path / "c.yaml", "- a\n- b\n"))


def test_overrides_are_merged_into_file_sections(tmp_path):
    path = write(tmp_path / "c.yaml", "quizzes:\n  time_limit: 45\n")
    settings = load_settings(path, {"quizzes": {"questions_per_contest": 8}, "database": {"url": "sqlite://"}})
    assert (settings.quizzes.time_limit, settings.quizzes.questions_per_contest) == (45, 8)
    assert settings.database.url == "sqlite://"


def test_empty_section_with_overrides_is_a_config_error_not_a_crash(tmp_path):
    path = write(tmp_path / "c.yaml", "quizzes:\n")
    try:
        settings = load_settings(path, {"quizzes": {"time_limit": 10}})
    except ConfigError as exc:
        assert "quizzes" in str(exc)
    else:
        assert settings.quizzes.time_limit == 10
