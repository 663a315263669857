"""Check accuracy (issue 3, acceptance): one table of texts and the exact findings each must produce.

Every row states the complete list of (rule, severity, matched) the engine must report, so a row
fails on a missed finding, an extra finding, a wrong severity or a wrong span alike.
"""

import pytest

from editorial.checks.engine import Leader, LeaderRegistry, Lexicon, LexiconEntry, run_checks
from tests.editorial.numbers import (
    break_id_check,
    break_luhn,
    full_width,
    grouped,
    id_check_char,
    luhn_ok,
    make_id,
    with_luhn,
)

B, W = "block", "warn"

KNOWN_ID = "11010519491231002X"  # published sample; also checks the generator below
ID_HANGZHOU = make_id("330106", "19850307")
ID_SHENZHEN = make_id("440305", "19950611")
ID_ALSO_LUHN = make_id("310104", "20000101", luhn=True)
ID_BAD_CHECK = break_id_check(ID_HANGZHOU)
ID_BAD_DATE = make_id("110105", "19900230")  # 30 February
ID_BAD_REGION = make_id("000000", "19900307")
BANK16 = with_luhn("622202123456789")
BANK19 = with_luhn("621700123456789012")
BANK15 = with_luhn("62220212345678")
BANK20 = with_luhn("6217001234567890123")
BANK16_BAD = break_luhn(BANK16)
BANK19_BAD = break_luhn(BANK19)

LEXICON = Lexicon(
    entries=[
        LexiconEntry("法轮功", "sensitive", "block"),
        LexiconEntry("VPN", "sensitive", "warn"),
        LexiconEntry("翻墙", "sensitive", "block"),
        LexiconEntry("翻墙教程", "sensitive", "warn"),
        LexiconEntry("台湾总统", "banned", "warn", "台湾地区领导人"),
        LexiconEntry("全网最低价", "advertising", "block"),
        LexiconEntry("最低价", "advertising", "warn"),
        LexiconEntry("最佳", "advertising", "warn"),
        LexiconEntry("最佳实践", "advertising", "allow"),
        LexiconEntry("绝密", "secret", "block"),
        LexiconEntry("暴光", "typo", "warn", "曝光"),
    ]
)
LEADERS = LeaderRegistry(
    leaders=[
        Leader("张三", ("省长",), "title_first"),
        Leader("李四", ("市委书记", "市长")),
        Leader("王伟", ("秘书长",), "name_first"),
    ]
)

CASES = [
    # --- ID-card numbers ---
    pytest.param(f"身份证号{KNOWN_ID}。", [("id_card", B, KNOWN_ID)], id="id-known-sample"),
    pytest.param(f"证件号码{KNOWN_ID.lower()}", [("id_card", B, KNOWN_ID.lower())], id="id-lowercase-x"),
    pytest.param(f"号码：{ID_HANGZHOU}", [("id_card", B, ID_HANGZHOU)], id="id-generated-hangzhou"),
    pytest.param(f"{ID_SHENZHEN}是他的", [("id_card", B, ID_SHENZHEN)], id="id-generated-shenzhen"),
    pytest.param(grouped(KNOWN_ID, (6, 8, 4)), [("id_card", B, grouped(KNOWN_ID, (6, 8, 4)))], id="id-grouped"),
    pytest.param(f"ID {ID_ALSO_LUHN}", [("id_card", B, ID_ALSO_LUHN)], id="id-not-also-bank-card"),
    pytest.param(full_width(KNOWN_ID), [("id_card", B, full_width(KNOWN_ID))], id="id-full-width"),
    pytest.param(
        f"{KNOWN_ID[:6]}\u200b{KNOWN_ID[6:]}",
        [("id_card", B, f"{KNOWN_ID[:6]}\u200b{KNOWN_ID[6:]}")],
        id="id-zero-width",
    ),
    pytest.param(f"号码{ID_BAD_CHECK}", [], id="id-bad-checksum"),
    pytest.param(f"号码{ID_BAD_DATE}", [], id="id-bad-date"),
    pytest.param(f"号码{ID_BAD_REGION}", [], id="id-bad-region"),
    pytest.param("身份证号110105********002X", [], id="id-masked"),
    pytest.param(f"9{KNOWN_ID}", [], id="id-embedded-in-longer-run"),
    # --- mobile numbers ---
    pytest.param("联系电话13800138000", [("mobile", B, "13800138000")], id="mobile-plain"),
    pytest.param("19912345678。", [("mobile", B, "19912345678")], id="mobile-199"),
    pytest.param("+86 13800138000", [("mobile", B, "+86 13800138000")], id="mobile-country-code"),
    pytest.param("电话138-0013-8000", [("mobile", B, "138-0013-8000")], id="mobile-hyphens"),
    pytest.param("电话138 0013 8000", [("mobile", B, "138 0013 8000")], id="mobile-spaces"),
    pytest.param("１３８００１３８０００", [("mobile", B, "１３８００１３８０００")], id="mobile-full-width"),
    pytest.param("联系人138****5678", [], id="mobile-masked"),
    pytest.param("编号12345678901", [], id="mobile-invalid-prefix"),
    pytest.param("编号813800138000", [], id="mobile-embedded-before"),
    pytest.param("编号138001380001", [], id="mobile-embedded-after"),
    pytest.param("订单号A13800138000", [], id="mobile-inside-code"),
    pytest.param("值班电话010-62345678", [], id="landline-beijing"),
    pytest.param("热线0571-88888888", [], id="landline-hangzhou"),
    # --- bank cards ---
    pytest.param(f"卡号{BANK16}", [("bank_card", B, BANK16)], id="bank-16"),
    pytest.param(f"卡号{BANK19}。", [("bank_card", B, BANK19)], id="bank-19"),
    pytest.param(grouped(BANK16, (4, 4, 4, 4)), [("bank_card", B, grouped(BANK16, (4, 4, 4, 4)))], id="bank-grouped"),
    pytest.param(f"卡号{BANK16_BAD}", [], id="bank-16-luhn-invalid"),
    pytest.param(f"卡号{BANK19_BAD}", [], id="bank-19-luhn-invalid"),
    pytest.param(f"编号{BANK15}", [], id="bank-15-too-short"),
    pytest.param(f"编号{BANK20}", [], id="bank-20-too-long"),
    pytest.param("卡号6222 **** **** 7890", [], id="bank-masked-grouped"),
    pytest.param("卡号622202******7890", [], id="bank-masked"),
    # --- leader names and titles ---
    pytest.param("省长张三主持会议", [], id="leader-correct"),
    pytest.param("市长张三主持会议", [("leader_title", B, "市长张三")], id="leader-wrong-title"),
    pytest.param("副省长张三出席", [("leader_title", B, "副省长张三")], id="leader-deputy-is-wrong"),
    pytest.param("张三省长出席", [("leader_title", B, "张三省长")], id="leader-wrong-order"),
    pytest.param("张三出席会议", [], id="leader-name-alone"),
    pytest.param("省长出席会议", [], id="leader-title-alone"),
    pytest.param("李四市长讲话", [], id="leader-any-order-after"),
    pytest.param("市委书记李四讲话", [], id="leader-any-order-before"),
    pytest.param("省长李四讲话", [("leader_title", B, "省长李四")], id="leader-other-persons-title"),
    pytest.param("王伟秘书长讲话", [], id="leader-name-first-correct"),
    pytest.param("秘书长王伟指出", [("leader_title", B, "秘书长王伟")], id="leader-name-first-wrong-order"),
    pytest.param("秘书长王伟强出席", [], id="leader-longer-name-title-before"),
    pytest.param("省长王伟强出席", [], id="leader-longer-name-other-title"),
    pytest.param("王伟强秘书长", [], id="leader-longer-name-title-after"),
    pytest.param("市长 张三", [("leader_title", B, "市长 张三")], id="leader-space-gap"),
    pytest.param("市长\u3000张三", [("leader_title", B, "市长\u3000张三")], id="leader-ideographic-space"),
    pytest.param("市长张\u200b三", [("leader_title", B, "市长张\u200b三")], id="leader-zero-width"),
    pytest.param("市长，张三说", [], id="leader-punctuation-separates"),
    pytest.param("张三省长李四市长", [("leader_title", B, "张三省长")], id="leader-title-between-names"),
    # --- lexicon ---
    pytest.param("严厉打击法轮功", [("sensitive_word", B, "法轮功")], id="lex-sensitive"),
    pytest.param("法\u200b轮\u200d功", [("sensitive_word", B, "法\u200b轮\u200d功")], id="lex-zero-width"),
    pytest.param("法轮", [], id="lex-partial-term"),
    pytest.param("反法轮功宣传", [("sensitive_word", B, "法轮功")], id="lex-cjk-substring"),
    pytest.param("使用ＶＰＮ", [("sensitive_word", W, "ＶＰＮ")], id="lex-full-width-ascii"),
    pytest.param("用vpn上网", [("sensitive_word", W, "vpn")], id="lex-ascii-case-insensitive"),
    pytest.param("安装openvpn", [], id="lex-ascii-inside-word"),
    pytest.param("many VPNs", [], id="lex-ascii-plural"),
    pytest.param("VPN2", [], id="lex-ascii-digit-boundary"),
    pytest.param("台湾总统", [("banned_expression", W, "台湾总统")], id="lex-banned"),
    pytest.param("全网最低价", [("advertising", B, "全网最低价")], id="lex-longest-wins"),
    pytest.param("最低价", [("advertising", W, "最低价")], id="lex-shorter-alone"),
    pytest.param(
        "翻墙教程", [("sensitive_word", B, "翻墙"), ("sensitive_word", W, "翻墙教程")], id="lex-block-inside-warn"
    ),
    pytest.param("分享最佳实践", [], id="lex-exemption"),
    pytest.param("最佳选择", [("advertising", W, "最佳")], id="lex-exemption-does-not-spread"),
    pytest.param("新闻暴光", [("typo", W, "暴光")], id="lex-typo"),
    pytest.param("绝密文件", [("secret_marking", B, "绝密")], id="lex-secret"),
]


def _summary(findings):
    return [(f.rule, f.severity, f.matched) for f in findings]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_findings(text, expected):
    findings = run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=LEADERS)
    assert _summary(findings) == expected
    for finding in findings:
        assert text[finding.start : finding.end] == finding.matched


LINK_AND_REPOST_CASES = [
    pytest.param(
        {"text": "详见通知", "html": '<p>详见<a href="https://example.com/n">通知</a></p>', "platform": "wechat"},
        [("external_link", W, "通知")],
        id="link-wechat-external-anchor",
    ),
    pytest.param(
        {
            "text": "详见通知",
            "html": '<p>详见<a href="https://mp.weixin.qq.com/s/x">通知</a></p>',
            "platform": "wechat",
        },
        [],
        id="link-wechat-mp-anchor",
    ),
    pytest.param(
        {
            "text": "详见通知",
            "html": '<p>详见<a href="https://mp.weixin.qq.com.evil.cn/s">通知</a></p>',
            "platform": "wechat",
        },
        [("external_link", W, "通知")],
        id="link-wechat-lookalike-host",
    ),
    pytest.param(
        {"text": "详见 https://example.com/a。", "platform": "wechat"},
        [("external_link", W, "https://example.com/a")],
        id="link-wechat-bare-url",
    ),
    pytest.param(
        {"text": "详见通知", "html": '<p>详见<a href="https://example.com/n">通知</a></p>', "platform": "weibo"},
        [],
        id="link-weibo-allows-external",
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True},
        [("repost_source_missing", B, "")],
        id="repost-missing",
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True, "repost_source": "  "},
        [("repost_source_missing", B, "")],
        id="repost-blank",
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True, "repost_source": "新华社"}, [], id="repost-name"
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True, "repost_source": "来源：人民日报客户端"},
        [],
        id="repost-channel",
    ),
    pytest.param(
        {"text": "转载", "platform": "wechat", "is_repost": True, "repost_source": "https://www.gov.cn/zhengce/1.htm"},
        [],
        id="repost-gov-domain",
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True, "repost_source": "新华社区报"},
        [("repost_source_unofficial", W, "")],
        id="repost-lookalike-name",
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True, "repost_source": "http://fakegov.cn/a"},
        [("repost_source_unofficial", W, "")],
        id="repost-lookalike-domain",
    ),
    pytest.param(
        {"text": "转载", "platform": "weibo", "is_repost": True, "repost_source": "gov.cn.example.com"},
        [("repost_source_unofficial", W, "")],
        id="repost-gov-as-subdomain",
    ),
    pytest.param({"text": "原创", "platform": "weibo", "repost_source": ""}, [], id="not-a-repost"),
]


@pytest.mark.parametrize(("kwargs", "expected"), LINK_AND_REPOST_CASES)
def test_link_and_repost_findings(kwargs, expected):
    findings = run_checks(lexicon=LEXICON, leaders=LEADERS, **kwargs)
    assert _summary(findings) == expected


def test_fixture_numbers_mean_what_the_cases_say():
    """The generated numbers are valid or invalid for the reason their case names, no other."""
    assert id_check_char(KNOWN_ID[:17]) == KNOWN_ID[17]
    for number in (ID_HANGZHOU, ID_SHENZHEN, ID_BAD_DATE, ID_BAD_REGION):
        assert id_check_char(number[:17]) == number[17]
        assert not (number.isdigit() and luhn_ok(number))
    assert luhn_ok(ID_ALSO_LUHN)
    assert id_check_char(ID_BAD_CHECK[:17]) != ID_BAD_CHECK[17] and not luhn_ok(ID_BAD_CHECK)
    assert luhn_ok(BANK16) and len(BANK16) == 16
    assert luhn_ok(BANK19) and len(BANK19) == 19
    assert luhn_ok(BANK15) and luhn_ok(BANK20)
    assert not luhn_ok(BANK16_BAD) and not luhn_ok(BANK19_BAD)


def test_case_table_is_large_enough():
    assert len(CASES) + len(LINK_AND_REPOST_CASES) >= 40
