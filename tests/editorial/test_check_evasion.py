"""Content checks that one keystroke cannot dodge (issue 8): disguised terms are caught and highlighted
on the original text, and the normalisation that catches them does not join unrelated words."""

import random

import pytest

from editorial.checks.engine import Leader, LeaderRegistry, Lexicon, LexiconEntry, fold, run_checks
from editorial.checks.importers import parse_text_lexicon
from tests.editorial.test_check_accuracy import LEADERS, LEXICON

BEFORE, AFTER = "严厉打击", "等邪教组织。"

# The banned term 法轮功 (LEXICON: sensitive, block) as written to slip past a checker.
EVASIONS = [
    pytest.param("法轮功", id="plain"),
    pytest.param("法 轮功", id="space"),
    pytest.param("法  轮  功", id="spaces-between-each"),
    pytest.param("法\u00a0轮功", id="no-break-space"),
    pytest.param("法\u3000轮功", id="ideographic-space"),
    pytest.param("法\t轮功", id="tab"),
    pytest.param("法\n轮功", id="newline"),
    pytest.param("法\r\n轮功", id="crlf"),
    pytest.param("法\u2028轮功", id="line-separator"),
    pytest.param("法-轮-功", id="hyphen"),
    pytest.param("法－轮功", id="full-width-hyphen"),
    pytest.param("法–轮功", id="en-dash"),
    pytest.param("法.轮.功", id="dot"),
    pytest.param("法·轮·功", id="middle-dot"),
    pytest.param("法_轮_功", id="underscore"),
    pytest.param("法＊轮＊功", id="full-width-asterisk"),
    pytest.param("法\u200b轮功", id="zero-width-space"),
    pytest.param("法\u200c轮功", id="zero-width-non-joiner"),
    pytest.param("法\u200d轮功", id="zero-width-joiner"),
    pytest.param("法\ufeff轮功", id="byte-order-mark"),
    pytest.param("法\u00ad轮功", id="soft-hyphen"),
    pytest.param("法\u200e轮功", id="bidi-mark"),
    pytest.param("法\u0301轮功", id="combining-acute"),
    pytest.param("法\ufe0f轮功", id="variation-selector"),
    pytest.param("法\u2800轮功", id="braille-blank"),
    pytest.param("法\ufff9轮功", id="interlinear-annotation"),
    pytest.param("法\x00轮功", id="nul"),
    pytest.param("法輪功", id="traditional"),
    pytest.param("法\uf9d7功", id="compatibility-ideograph"),
    pytest.param("法\u200b輪功", id="traditional-and-zero-width"),
    pytest.param("法\u00a0\u200b-\u0301輪\t\u2800功", id="several-at-once"),
]


def test_thirty_one_distinct_evasions():
    assert len({param.values[0] for param in EVASIONS}) == len(EVASIONS) == 31


@pytest.mark.parametrize("disguised", EVASIONS)
def test_disguised_term_is_caught_and_highlighted_on_the_original(disguised):
    text = BEFORE + disguised + AFTER
    [finding] = run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=LEADERS)
    assert (finding.rule, finding.severity) == ("sensitive_word", "block")
    assert (finding.start, finding.end) == (len(BEFORE), len(BEFORE) + len(disguised))
    assert finding.matched == text[finding.start : finding.end] == disguised
    assert "\u200b" not in finding.message and "\x00" not in finding.message


# Two-character terms are the easiest to create by accident across a boundary: 翻墙 must not be read
# into any of these.
NOT_A_TERM = [
    pytest.param("决不推翻。墙上写着标语", id="full-stop"),
    pytest.param("推翻，墙倒了", id="comma"),
    pytest.param("推翻、墙体、地基", id="enumeration-comma"),
    pytest.param("推翻；墙倒了", id="semicolon"),
    pytest.param("翻：墙", id="colon"),
    pytest.param("翻！墙", id="exclamation-mark"),
    pytest.param("翻？墙", id="question-mark"),
    pytest.param("翻——墙", id="em-dash"),
    pytest.param("翻……墙", id="ellipsis"),
    pytest.param("翻“墙”", id="quotes"),
    pytest.param("翻（墙）", id="brackets"),
    pytest.param("翻《墙》", id="book-title-marks"),
    pytest.param("翻/墙", id="slash"),
    pytest.param("翻1墙", id="digit"),
    pytest.param("翻 a 墙", id="latin-word"),
    pytest.param("决不推翻。\n墙上写着标语", id="paragraph-after-full-stop"),
    pytest.param("翻\u200b。墙", id="invisible-before-punctuation"),
]


@pytest.mark.parametrize("text", NOT_A_TERM)
def test_punctuation_and_other_words_still_separate(text):
    assert run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=LEADERS) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("v p n", id="spaced-ascii"),
        pytest.param("openvpn", id="inside-word"),
        pytest.param("open-vpn2", id="digit-after"),
    ],
)
def test_spaces_and_boundaries_between_ascii_words_are_kept(text):
    assert LEXICON.find(text=text) == []


def test_spaces_between_cjk_and_ascii_stay_word_boundaries():
    [finding] = LEXICON.find(text="使用 ＶＰＮ 上网")
    assert finding.matched == "ＶＰＮ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("市長張三主持會議", ["市長張三"], id="traditional"),
        pytest.param("市长张\u00a0三主持", ["市长张\u00a0三"], id="no-break-space-in-name"),
        pytest.param("市长-张三主持", ["市长-张三"], id="hyphen-gap"),
        pytest.param("市\u200b长张三", ["市\u200b长张三"], id="zero-width-in-title"),
        pytest.param("省長張三主持會議", [], id="traditional-correct"),
        pytest.param("張三省長出席", ["張三省長"], id="traditional-wrong-order"),
        pytest.param("市长，张三说", [], id="comma-separates"),
    ],
)
def test_leader_checks_use_the_same_normalisation(text, expected):
    findings = LEADERS.find(text=text)
    assert [f.matched for f in findings] == expected
    for finding in findings:
        assert text[finding.start : finding.end] == finding.matched


def test_leader_gap_counts_visible_characters_of_the_original():
    strict = LeaderRegistry(leaders=[Leader("张三", ("省长",))], max_gap=0)
    assert strict.find(text="市长 张三") == []
    assert strict.find(text="市长\u3000\u3000张三") == []
    assert [f.matched for f in strict.find(text="市长\u200b张三")] == ["市长\u200b张三"]
    assert LEADERS.find(text="市长  张三") == []  # two spaces: more than the default gap of one


@pytest.mark.parametrize("text", ["分享最佳 实践", "分享最佳實踐", "分享最\u200b佳·实践"])
def test_exemptions_use_the_same_normalisation(text):
    assert LEXICON.find(text=text) == []


def test_lexicon_terms_are_folded_like_the_text():
    lexicon = Lexicon(
        entries=[
            LexiconEntry("反 動", "sensitive", "warn"),
            LexiconEntry("反-动", "sensitive", "block"),
            LexiconEntry("ＦａＬúＮ", "sensitive", "block"),
        ]
    )
    assert len(lexicon) == 2
    assert [(f.matched, f.severity) for f in lexicon.find(text="反动 falun")] == [("反动", "block"), ("falun", "block")]


def test_importer_reports_terms_that_fold_alike_as_duplicates():
    result = parse_text_lexicon(data="法轮功\n法 輪功\n法\u200b轮-功\n")
    assert [entry.term for entry in result.entries] == ["法轮功"]
    assert [issue.line for issue in result.errors] == [2, 3]


@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("ＶＰＮ", "vpn"),
        ("fǎlún", "falun"),
        ("說話", "说话"),
        ("㊙密", "秘密"),
        ("⼈民", "人民"),  # Kangxi radical
        ("㍿", "株式会社"),
        ("ﬁle", "file"),
        ("a\u00a0b\tc\nd", "a b c d"),
        ("中 文 字", "中文字"),
        ("中。文", "中。文"),
        ("中……文", "中……文"),
        ("中——文", "中——文"),
        ("中 - 文", "中文"),
        ("a - b", "a - b"),
        ("한국어", "한국어"),
        ("𠮷野家", "𠮷野家"),
    ],
)
def test_fold(value, folded):
    assert fold(value) == folded


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("㍿法轮功", (1, 4)),  # one character folded to four before the term
        ("ﬁ\u200b法轮功\u200b", (2, 5)),
        ("𠮷 法\u200b輪 功。", (2, 7)),  # a character outside the BMP
        ("法\u200b\u200b\u200b轮功\u200b", (0, 6)),  # invisible characters at the end are not covered
        ("ＡＢ\u0301 法-轮 功", (4, 9)),
    ],
)
def test_offsets_map_back_through_every_kind_of_change(text, span):
    [finding] = LEXICON.find(text=text)
    assert (finding.start, finding.end) == span
    assert finding.matched == text[slice(*span)]


def test_offsets_always_cover_the_match_in_random_text():
    """Random text mixing every kind of change around planted, disguised terms."""
    rng = random.Random(8)
    noise = ["中", "国", "a", "B", " ", "\u3000", "\u200b", "-", "。", "，", "㍿", "ﬁ", "𠮷", "\u0301", "說", "\x00"]
    disguises = ["", "\u200b", " ", "-", "\u00a0", "\ufeff\u0301"]
    for _ in range(200):
        parts = []
        for _ in range(rng.randint(1, 4)):
            parts.append("".join(rng.choice(noise) for _ in range(rng.randint(0, 6))))
            parts.append("。")
            parts.append("法" + rng.choice(disguises) + rng.choice(["轮", "輪"]) + "功")
        parts.append("。")
        text = "".join(parts)
        findings = [f for f in LEXICON.find(text=text) if f.rule == "sensitive_word"]
        assert len(findings) == len(parts) // 3
        for finding in findings:
            assert finding.matched == text[finding.start : finding.end]
            assert fold(finding.matched) == "法轮功"
