"""填空 grading rule by rule, for each strictness; Chinese numerals; the jieba wrapper."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.grading import Verdict, grade, prepare, segmenter
from quizzes.grading.numerals import chinese_number, looks_like_set_phrase, to_digits
from quizzes.model import Question

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ("exact", "normal", "lenient")

QUALITY = Question.blank("发展党员工作的总要求是控制总量、优化结构、（）、发挥作用。", [["提高质量"]])
NANHU = Question.blank("中共一大最后一天的会议在浙江（）的游船上举行。", [["嘉兴南湖", "南湖"]])
MEETING = Question.blank("中国共产党从幼稚走向成熟的标志是（）会议的召开。", [["遵义"]])
CONGRESS = Question.blank("1923 年 6 月，中国共产党在广州召开了第（）次代表大会。", [["三"]])
APEC = Question.blank("2014 年，亚太经合组织（APEC)第（）次领导人非正式会议在北京举行。", [["二十二", "22"]])
YEAR = Question.blank("我国在（）全面建成小康社会。", [["二〇二〇年"]])
NINETEEN = Question.blank("（）党章增写了“四个全面”战略布局的内容。", [["十九大"]])
CENTURY = Question.blank("到（）时，全面建成小康社会。", [["建党一百年"]])
PLENUM = Question.blank("1978 年 12 月召开的中共（）。", [["十一届三中全会"]])
RIGHTS = Question.blank("（）也是党员条件的具体化。", [["党员权利", "党员的权利"]])
DISCIPLINE = Question.blank("（）是维护党的团结统一、完成党的任务的保证。", [["党的纪律"]])
SERVE = Question.blank("党的（）的根本宗旨。", [["全心全意为人民服务"]])
TRUTH = Question.blank("政治审查必须严肃认真、（），注重本人的一贯表现。", [["实事求是"]])
STRICT = Question.blank("“四个全面”即全面建成小康社会、全面深化改革、全面依法治国、（）。", [["全面从严治党"]])
ESSENCE = Question.blank("“三个代表“重要思想的本质是立党为公、（）。", [["执政为民"]])
LAYOUT = Question.blank("战略布局是“（）”。", [["四个全面"]])
MAINTAIN = Question.blank("党员要坚决做到（）。", [["两个维护"]])
CRITICISM = Question.blank("（）是我们党强身治病的锐利武器。", [["批评和自我批评"]])
TWO = Question.blank("中国式现代化，是中国共产党领导的社会主义现代化，既有（）更有（）。",
                     [["各国现代化的共同特征"], ["基于自己国情的中国特色"]])
FIRST, SECOND = "各国现代化的共同特征", "基于自己国情的中国特色"
NUMBERS = Question.blank("三大改造是在第（）个五年计划期间、第（）年完成的。", [["一"], ["四"]])


def at(question: Question, level: str | None) -> Question:
    return replace(question, strictness=level)


def ok(question: Question, typed: str, level: str | None = None) -> bool:
    return grade(at(question, level), typed).correct


# ---------------------------------------------------------------- normalisation: every strictness


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("typed", ["提高质量", " 提高质量 ", "提高 质量", "提 高 质 量", "提高质量。",
                                   "提高质量！", "“提高质量”", "「提高质量」", "提高质量.", "　提高质量　",
                                   "提高质量。。", "(提高质量)"])
def test_whitespace_punctuation_and_a_trailing_full_stop_never_matter(level, typed):
    assert ok(QUALITY, typed, level)


@pytest.mark.parametrize("level", LEVELS)
def test_full_width_and_letter_case_never_matter(level):
    latin = Question.blank("WTO 的中文名称是世界（）组织。", [["贸易", "Trade"]])
    for typed in ["trade", "TRADE", "Ｔｒａｄｅ", "ｔｒａｄｅ。", "t r a d e"]:
        assert ok(latin, typed, level)
    assert ok(APEC, "２２", level)


@pytest.mark.parametrize("level", LEVELS)
def test_any_accepted_alternative_counts(level):
    for typed in ["嘉兴南湖", "南湖", "党员权利", "党员的权利"]:
        assert ok(NANHU if "湖" in typed else RIGHTS, typed, level)
    assert ok(APEC, "22", level) and ok(APEC, "二十二", level)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("separator", [" ", "，", ",", "、", "；", ";", " , ", "  、 ", "/", ""])
def test_several_blanks_in_order_with_any_separator_or_run_together(level, separator):
    assert ok(TWO, f"{FIRST}{separator}{SECOND}", level)
    assert ok(TWO, f"{FIRST}{separator}{SECOND}。", level)


@pytest.mark.parametrize("level", LEVELS)
def test_blanks_swapped_or_missing_are_wrong_and_say_so(level):
    swapped = grade(at(TWO, level), f"{SECOND}、{FIRST}")
    assert swapped == Verdict(False, f"{SECOND}、{FIRST}", "第 1 空和第 2 空填反了")
    assert grade(at(TWO, level), f"{SECOND} {FIRST}").reason == "第 1 空和第 2 空填反了"
    assert not ok(TWO, f"{SECOND}{FIRST}", level)
    assert grade(at(TWO, level), FIRST).reason == f"第 2 空应为「{SECOND}」"
    assert grade(at(TWO, level), f"{FIRST}，中国特色").reason == f"第 2 空应为「{SECOND}」"
    assert grade(at(TWO, level), f"{FIRST}，{SECOND}吧").reason == "第 2 空有多余内容"


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("typed", "reason"), [
    ("提高数量", "缺少关键词「质量」"),  # a different key word
    ("质量", "缺少关键词「提高」"),  # a fragment
    ("我觉得应该是提高质量吧", "答案中有多余内容"),  # buried in a sentence
    ("提高质量和数量", "答案中有多余内容"),
    ("提高质量，发挥作用", "答案中有多余内容"),
    ("优化结构", "缺少关键词「提高」「质量」"),
])
def test_wrong_answers_are_wrong_at_every_strictness_and_say_why(level, typed, reason):
    assert grade(at(QUALITY, level), typed) == Verdict(False, typed, reason)


@pytest.mark.parametrize("level", LEVELS)
def test_correct_verdicts_have_no_reason(level):
    assert grade(at(QUALITY, level), "提高质量。") == Verdict(True, "提高质量。", "")


def test_words_in_reverse_order_are_wrong():
    question = Question.blank("人民军队建设的一条根本原则是（）。", [["党指挥枪"]])
    for level in LEVELS:
        verdict = grade(at(question, level), "枪指挥党")
        assert not verdict.correct and verdict.reason == "应为「党指挥枪」"


# ---------------------------------------------------------------- exact


def test_exact_is_normalisation_only():
    assert not ok(YEAR, "2020年", "exact")
    assert not ok(APEC, "第22次", "exact")  # no words of the stem
    assert not ok(MEETING, "遵义会议", "exact")
    assert not ok(QUALITY, "答：提高质量", "exact")
    assert not ok(CRITICISM, "批评与自我批评", "exact")
    assert not ok(DISCIPLINE, "党纪律", "exact")
    assert not ok(TWO, f"1.{FIRST} 2.{SECOND}", "exact")
    assert ok(YEAR, "二〇二〇年", "exact") and ok(MEETING, "“遵义”", "exact")


# ---------------------------------------------------------------- normal (the default)


@pytest.mark.parametrize(("question", "typed"), [
    (YEAR, "2020年"), (YEAR, "二零二零年"), (YEAR, "二O二O年"), (YEAR, "二0二0年"), (YEAR, "２０２０年"),
    (NINETEEN, "19大"), (NINETEEN, "十九大"), (APEC, "22"), (APEC, "二十二"), (CENTURY, "建党100年"),
    (CENTURY, "建党 100 年"), (PLENUM, "11届3中全会"), (PLENUM, "十一届3中全会"), (CONGRESS, "3"),
])
def test_normal_reads_chinese_numerals_as_digits(question, typed):
    assert ok(question, typed)


@pytest.mark.parametrize(("question", "typed"), [
    (YEAR, "2021年"), (YEAR, "二〇二一年"), (NINETEEN, "18大"), (APEC, "21"), (APEC, "二十三"), (APEC, "二二"),
    (CENTURY, "建党90年"), (PLENUM, "十一届四中全会"), (CONGRESS, "4"),
])
def test_normal_a_different_number_is_wrong(question, typed):
    assert not ok(question, typed)


@pytest.mark.parametrize(("question", "typed"), [
    (MEETING, "遵义会议"), (MEETING, "遵义会议的召开"), (CONGRESS, "第三次"), (CONGRESS, "第3次"), (CONGRESS, "三次"),
    (CONGRESS, "第三次代表大会"), (APEC, "第二十二次"), (APEC, "第22次"), (PLENUM, "中共十一届三中全会"),
    (PLENUM, "党的十一届三中全会"), (NANHU, "浙江嘉兴南湖"), (DISCIPLINE, "党的纪律是"), (LAYOUT, "战略布局是四个全面"),
])
def test_normal_accepts_words_of_the_stem_next_to_the_blank(question, typed):
    assert ok(question, typed)


@pytest.mark.parametrize(("question", "typed"), [
    (MEETING, "遵义会"), (MEETING, "是遵义会议吧"), (CONGRESS, "第三次会议"), (NANHU, "嘉兴南湖游船"),
])
def test_normal_stem_words_must_be_whole_and_adjacent(question, typed):
    assert not ok(question, typed)


def test_normal_small_conveniences():
    assert ok(QUALITY, "答：提高质量") and ok(QUALITY, "答案是提高质量") and ok(QUALITY, "答案：提高质量")
    assert ok(CRITICISM, "批评与自我批评") and ok(CRITICISM, "批评及自我批评")  # 和/与/及 join alike
    for typed in [f"1.{FIRST} 2.{SECOND}", f"①{FIRST}②{SECOND}", f"第一空：{FIRST}，第二空：{SECOND}",
                  f"(1){FIRST} (2){SECOND}", f"既有{FIRST}，更有{SECOND}"]:
        assert ok(TWO, typed), typed
    assert not ok(TWO, f"1.{SECOND} 2.{FIRST}")


def test_normal_numbers_in_several_blanks():
    for typed in ["一、四", "1、4", "1 4", "一，四", "第一个五年计划，第四年"]:
        assert ok(NUMBERS, typed), typed
    assert grade(NUMBERS, "四、一").reason == "第 1 空和第 2 空填反了"
    assert not ok(NUMBERS, "1、5")


def test_normal_rejects_slips_that_only_lenient_forgives():
    assert grade(DISCIPLINE, "党纪律").reason == "应为「党的纪律」"
    assert not ok(RIGHTS, "党员的的权利")
    assert grade(TRUTH, "实是求是").reason == "缺少关键词「实事」"
    assert not ok(SERVE, "全新全意为人民服务")
    assert grade(LAYOUT, "4个全面").reason == "缺少关键词「四个全面」"


def test_none_and_unknown_strictness_mean_normal():
    for level in (None, "normal", "bogus"):
        assert ok(YEAR, "2020年", level) and not ok(DISCIPLINE, "党纪律", level)


# ---------------------------------------------------------------- lenient


@pytest.mark.parametrize(("question", "typed"), [
    (DISCIPLINE, "党纪律"), (DISCIPLINE, "党之纪律"), (DISCIPLINE, "党的的纪律"),  # a particle missing or extra
    (Question.blank("（）也是党员条件的具体化。", [["党员权利"]]), "党员的权利"),
    (Question.blank("坚定（），坚守精神追求。", [["理想信念"]]), "理想和信念"),
    (SERVE, "全新全意为人民服务"), (TRUTH, "实是求是"), (QUALITY, "提搞质量"), (QUALITY, "提高质亮"),  # one typo
    (STRICT, "全面从言治党"), (ESSENCE, "执政为明"),
    (SERVE, "全心全为人民服务"),  # one missing character inside a word
    (LAYOUT, "4个全面"), (MAINTAIN, "2个维护"), (MAINTAIN, "两个维户"),  # set phrases in digits
    (CONGRESS, "第三次"), (YEAR, "2020年"),  # and everything normal accepts
])
def test_lenient_forgives_one_small_slip(question, typed):
    assert ok(question, typed, "lenient")
    assert not ok(question, typed, "exact")


@pytest.mark.parametrize(("question", "typed", "reason"), [
    (QUALITY, "提高数量", "缺少关键词「质量」"),  # the slip makes another word
    (STRICT, "全面从宽治党", "缺少关键词「从严治党」"),  # 从宽/治党: real words, not a typo
    (ESSENCE, "执政为公", "缺少关键词「为民」"),  # 为公 is a word of the stem
    (Question.blank("（）也是党员条件的具体化。", [["党员权利"]]), "党员权力", "缺少关键词「权利」"),
    (SERVE, "全心全意为群众服务", "缺少关键词「人民」"),
    (MEETING, "尊义", "缺少关键词「遵义」"),  # under four characters: no typo allowed
    # one-character words
    (Question.blank("（）是我们党一贯倡导的学风。", [["敌退我追"]]), "敌退我退", "缺少关键词「敌退我追」"),
    (SERVE, "全心全意为人民服", "缺少关键词「服务」"),  # the last character missing is a fragment
    (SERVE, "全心全意为为人民服务", "答案中有多余内容"),  # an extra character between words
    (PLENUM, "十一届四中全会", "缺少关键词「三中全会」"),  # digits are never slips
    (Question.blank("GDP 总量跃居世界第（）位。", [["二十二"]]), "二十三", "缺少关键词「二十二」"),
    (QUALITY, "质量", "缺少关键词「提高」"), (QUALITY, "我觉得是提高质量", "答案中有多余内容"),
    (TWO, f"{SECOND}，{FIRST}", "第 1 空和第 2 空填反了"),
])
def test_lenient_never_accepts_a_different_key_word(question, typed, reason):
    assert grade(at(question, "lenient"), typed) == Verdict(False, typed, reason)


def test_lenient_slips_in_each_blank_of_several():
    assert ok(TWO, f"各国现代化共同特征，{SECOND}", "lenient")
    assert not ok(TWO, f"各国现代化共同特征，{SECOND}", "normal")
    assert not ok(TWO, f"各国现代化共同特征{SECOND}", "lenient")  # run together: only exact words


# ---------------------------------------------------------------- numerals


@pytest.mark.parametrize(("text", "digits"), [
    ("二〇二〇年", "2020年"), ("二零二零年", "2020年"), ("二o二o年", "2020年"), ("二0二0年", "2020年"),
    ("一九二一年", "1921年"), ("一九四九", "1949"), ("十九大", "19大"), ("二十二", "22"), ("一百零三", "103"),
    ("一百年", "100年"), ("建党一百年", "建党100年"), ("两个", "2个"), ("两年", "2年"), ("两千年", "2000年"),
    ("十一届三中全会", "11届3中全会"), ("七届二中全会", "7届2中全会"), ("第三次", "第3次"), ("三", "3"),
    ("第一书记", "第1书记"), ("中共一大", "中共1大"), ("一年以上", "1年以上"), ("十", "10"), ("三万五千", "35000"),
    ("一亿二千万", "120000000"), ("一万零一", "10001"), ("第二十二次", "第22次"), ("一千九百二十一年", "1921年"),
])
def test_numerals_that_are_numbers_become_digits(text, digits):
    assert to_digits(text) == digits


@pytest.mark.parametrize("text", [
    "两个维护", "四个全面", "三个代表", "四项基本原则", "两个一百年", "一国两制", "一带一路", "两岸", "统一", "一切",
    "一致", "七一", "八七会议", "五四运动", "一二·九运动", "百姓", "十分重要", "万岁", "千万不要", "一百五", "二二",
    "三会一课", "坚决做到两个维护", "协调推进四个全面战略布局",
])
def test_words_and_set_phrases_keep_their_numerals(text):
    assert to_digits(text) == text


def test_set_phrases_can_be_added_and_removed():
    assert to_digits("两个确立", keep=()) == "2个确立"
    assert to_digits("三个务必") == "三个务必"
    assert to_digits("五个必由之路") == "5个必由之路"
    assert to_digits("五个必由之路", keep={"五个必由之路"}) == "五个必由之路"
    assert looks_like_set_phrase("两个维护") and looks_like_set_phrase("四项基本原则")
    assert not looks_like_set_phrase("十一届三中全会") and not looks_like_set_phrase("两个")


@pytest.mark.parametrize(("numeral", "value"), [
    ("十", 10), ("十九", 19), ("二十", 20), ("二十二", 22), ("一百", 100), ("一百零三", 103), ("一百一十", 110),
    ("两千", 2000), ("一千九百二十一", 1921), ("三万五千", 35000), ("一万零一", 10001), ("五", 5),
    ("十十", None), ("百", None), ("千万", None), ("一百五", None), ("一零", None), ("二三", None), ("", None),
])
def test_chinese_number_values(numeral, value):
    assert chinese_number(numeral) == value


def test_set_phrase_answers_of_a_bank_are_kept_as_written():
    question = Question.blank("坚持（）。", [["五个必由之路"]])  # not built in: protected because it is an answer
    assert ok(question, "五个必由之路") and not ok(question, "5个必由之路") and ok(question, "5个必由之路", "lenient")


# ---------------------------------------------------------------- properties


_NOISE = st.sampled_from([" ", "　", "，", "。", "、", "“", "”", "!", "？", "《", "》", "\t"])


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from([QUALITY, NANHU, RIGHTS, SERVE, PLENUM]), st.sampled_from(LEVELS))
def test_noise_between_characters_never_changes_a_right_answer(data, question, level):
    answer = data.draw(st.sampled_from(question.blanks[0]))
    typed = "".join(ch + data.draw(st.text(_NOISE, max_size=2)) for ch in answer)
    assert ok(question, typed, level)


@settings(max_examples=60, deadline=None)
@given(st.text(st.sampled_from("提高质量数优化结构发挥作用的和了 ，。"), min_size=1, max_size=8),
       st.sampled_from(LEVELS))
def test_only_the_answer_itself_is_accepted(typed, level):
    core = "".join(ch for ch in typed if ch not in " ，。")
    stripped = core.replace("的", "").replace("和", "").replace("了", "")
    one_typo = len(core) == 4 and sum(a != b for a, b in zip(core, "提高质量")) == 1  # 提了质量, 提高质亮
    if grade(at(QUALITY, level), typed).correct:
        assert core == "提高质量" or (level == "lenient" and (stripped == "提高质量" or one_typo))
        assert "数量" not in core  # never another key word, at any level


def test_lenient_forgives_a_nonsense_typo_but_not_another_word():
    assert grade(at(QUALITY, "lenient"), "提了质量").correct
    assert not grade(at(QUALITY, "lenient"), "提高数量").correct
    assert not grade(at(QUALITY, "normal"), "提了质量").correct


# ---------------------------------------------------------------- dictionary and speed


def test_a_questions_answers_are_words_only_while_it_is_graded():
    assert segmenter.cut("坚决做到两个巩固") != ["坚决", "做到", "两个巩固"]
    with segmenter.words_added(["两个巩固"]):
        assert segmenter.cut("坚决做到两个巩固") == ["坚决", "做到", "两个巩固"]
    assert segmenter.cut("坚决做到两个巩固") != ["坚决", "做到", "两个巩固"]
    assert prepare([Question.blank("要做到（）。", [["两个巩固"]])]) == 1
    assert not segmenter.is_word("两个巩固")  # preparing one bank leaves no words behind for the next


def test_a_fragment_is_told_the_missing_part_and_no_word_is_left_behind():
    question = Question.blank("这是一道只在这里出现的题（）。", [["明德笃行求真"]])
    assert grade(question, "明德笃行").reason == "缺少关键词「求真」"
    assert not segmenter.is_word("明德笃行求真")


def test_a_question_changed_under_the_same_text_is_graded_by_its_new_answers():
    old = Question.blank("党的最高处分是（）。", [["开除党籍"]])
    new = Question.blank("党的最高处分是（）。", [["开除出党"]])
    assert old.key == new.key
    assert ok(old, "开除党籍") and not ok(new, "开除党籍") and ok(new, "开除出党")


def test_a_warm_grader_gives_the_verdicts_it_gave_first():
    """How fast these are graded once warm is bench/grading.py's figure; here, what they get, the first time
    and every time after."""
    cases = [(QUALITY, "提高质量"), (QUALITY, "提高数量"), (TWO, f"{FIRST} {SECOND}"), (APEC, "第22次"),
             (MEETING, "我觉得是遵义会议吧"), (PLENUM, "11届3中全会"), (NANHU, "上海")]
    first = [grade(question, typed) for question, typed in cases]
    assert [(v.correct, v.reason) for v in first] == [
        (True, ""), (False, "缺少关键词「质量」"), (True, ""), (True, ""), (False, "答案中有多余内容"), (True, ""),
        (False, "缺少关键词「南湖」")]
    for _ in range(3):
        assert [grade(question, typed) for question, typed in cases] == first


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, check=True)


def test_importing_the_quiz_engine_or_the_cli_loads_no_dictionary():
    out = _run("import sys, quizzes, quizzes.grading, quizzes.grading.blank, quizzes.contest\n"
               "from quizzes.grading import segmenter\n"
               "print('jieba' in sys.modules, segmenter.is_loaded())\n"
               "sys.argv = ['studybot', '--help']\n"
               "from bot.cli import main\n"
               "try:\n    main()\nexcept SystemExit:\n    pass\n"
               "print('jieba' in sys.modules, segmenter.is_loaded())")
    assert out.stdout.splitlines()[0] == "False False"
    assert out.stdout.splitlines()[-1] == "False False"


def test_own_tokenizer_cache_in_the_cache_dir_and_jieba_logs_at_debug_on_our_logger(tmp_path):
    code = ("import logging, sys\n"
            "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format='%(name)s %(levelname)s %(message)s')\n"
            "from quizzes.grading import segmenter\n"
            "import jieba\n"
            "with segmenter.words_added(['两个巩固']):\n"
            "    print('RESULT', segmenter.cut('两个巩固'), jieba.dt.initialized, '两个巩固' in jieba.dt.FREQ)\n"
            "print('AFTER', segmenter.cut('两个巩固'))\n")
    first = _run(code, {segmenter.CACHE_ENV: str(tmp_path)})
    assert (tmp_path / segmenter.CACHE_FILE).is_file()
    assert first.stderr == ""  # nothing from jieba's own stderr handler
    assert "quizzes.grading.segmenter DEBUG jieba: Building prefix dict" in first.stdout
    assert "RESULT ['两个巩固'] False False" in first.stdout  # jieba's global tokenizer untouched
    assert "AFTER ['两个', '巩固']" in first.stdout  # and the word was ours only for the while
    second = _run(code, {segmenter.CACHE_ENV: str(tmp_path)})
    assert "prefix dict loaded from cache" in second.stdout and second.stderr == ""


def test_verdicts_do_not_depend_on_which_questions_were_graded_before():
    """Each question's answers are dictionary words only while it is graded: grading another bank's
    questions first must not change a verdict or its reason."""
    import subprocess
    import sys

    code = ("from quizzes.model import Question\n"
            "from quizzes.grading import grade\n"
            "q = Question.blank('我们党的根本宗旨是全心全意（）。', [['为人民服务']], strictness='lenient')\n"
            "other = Question.blank('坚持（）的发展思想。', [['以人民为中心']])\n"
            "import sys\n"
            "if sys.argv[1] == 'other-first':\n"
            "    grade(other, '以人民为中心'); grade(Question.blank('（）服务', [['人民']]), '人民')\n"
            "print([grade(q, t) for t in ('为群众服务', '为人民服', '为为人民服务', '为人民服务')])\n")
    outputs = {order: subprocess.run([sys.executable, "-c", code, order], capture_output=True, text=True,
                                     check=True).stdout for order in ("alone", "other-first")}
    assert outputs["alone"] == outputs["other-first"]
