"""Engine contracts beyond the accuracy table: offsets, messages, merging, caching, validation."""

import json

import pytest

from editorial.checks import engine
from editorial.checks.engine import (
    DEFAULT_OFFICIAL_SOURCES,
    Finding,
    Leader,
    LeaderRegistry,
    Lexicon,
    LexiconEntry,
    OfficialSources,
    check_links,
    check_personal_data,
    check_repost,
    clear_caches,
    content_version,
    get_leader_registry,
    get_lexicon,
    has_blocking,
    run_checks,
)
from tests.editorial.test_check_accuracy import KNOWN_ID, LEADERS, LEXICON


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_caches()
    yield
    clear_caches()


def test_offsets_map_back_through_invisible_and_full_width_characters():
    text = "前言\u200b\u200b。法\u200b轮功，ＶＰＮ，市长张三，电话１３８\ufeff００１３８０００，" + KNOWN_ID
    findings = run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=LEADERS)
    assert [f.rule for f in findings] == ["sensitive_word", "sensitive_word", "leader_title", "mobile", "id_card"]
    for finding in findings:
        assert text[finding.start : finding.end] == finding.matched
    assert findings[0].start == text.index("法") and findings[0].end == text.index("功") + 1
    assert findings[3].matched == "１３８\ufeff００１３８０００"
    assert findings[4].end == len(text)


def test_offsets_are_plain_indices_without_invisible_characters():
    text = "第一段。\n第二段提到法轮功和" + KNOWN_ID
    findings = run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=None)
    assert [(f.start, f.end) for f in findings] == [(10, 13), (14, 32)]


def test_findings_are_sorted_by_position():
    text = f"{KNOWN_ID}，市长张三，法轮功，13800138000"
    findings = run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=LEADERS)
    starts = [f.start for f in findings]
    assert starts == sorted(starts) and len(findings) == 4


def test_messages_are_chinese_and_carry_the_suggestion():
    [banned] = LEXICON.find(text="台湾总统")
    assert banned.suggestion == "台湾地区领导人"
    assert banned.message == "发现不规范表述“台湾总统”，请按规范表述修改。建议改为“台湾地区领导人”。"
    [leader] = LEADERS.find(text="市长张三")
    assert leader.suggestion == "省长张三" and "严重表述错误" in leader.message and "省长" in leader.message
    [order] = LEADERS.find(text="张三省长")
    assert order.suggestion == "省长张三" and "顺序" in order.message


def test_block_and_warn_messages_differ_and_hide_invisible_characters():
    [blocked] = LEXICON.find(text="法\u200b轮功")
    [warned] = LEXICON.find(text="VPN")
    assert blocked.message == "发现敏感词“法轮功”，不得发布，请删除或改写。"
    assert warned.message == "发现敏感词“VPN”，请核实表述是否妥当。"


def test_personal_data_messages_show_only_the_masked_number():
    [id_card, mobile] = check_personal_data(text=f"{KNOWN_ID} 13800138000")
    assert id_card.suggestion == "110105********002X" and KNOWN_ID not in id_card.message
    assert mobile.suggestion == "138****8000" and "13800138000" not in mobile.message
    assert {id_card.gate, mobile.gate} == {"secrecy"}
    assert (
        run_checks(text=id_card.suggestion + " " + mobile.suggestion, platform="weibo", lexicon=None, leaders=None)
        == []
    )


def test_gates_of_each_rule():
    text = "法轮功 台湾总统 最佳 绝密 暴光 市长张三 13800138000"
    findings = run_checks(text=text, platform="weibo", lexicon=LEXICON, leaders=LEADERS, is_repost=True)
    gates = {f.rule: f.gate_label for f in findings}
    assert gates == {
        "sensitive_word": "政治关",
        "banned_expression": "政策关",
        "advertising": "法律关",
        "secret_marking": "保密关",
        "typo": "文字关",
        "leader_title": "政治关",
        "mobile": "保密关",
        "repost_source_missing": "法律关",
    }


def test_has_blocking():
    warn_only = run_checks(text="VPN", platform="weibo", lexicon=LEXICON, leaders=None)
    assert warn_only and not has_blocking(warn_only)
    assert has_blocking(warn_only + LEXICON.find(text="绝密"))
    assert not has_blocking([])


def test_as_dict_is_json_ready():
    [finding] = LEXICON.find(text="台湾总统")
    data = json.loads(json.dumps(finding.as_dict(), ensure_ascii=False))
    assert data == {
        "rule": "banned_expression",
        "gate": "policy",
        "gate_label": "政策关",
        "severity": "warn",
        "message": finding.message,
        "start": 0,
        "end": 4,
        "matched": "台湾总统",
        "suggestion": "台湾地区领导人",
    }


def test_duplicate_terms_merge_to_the_strictest_severity():
    lexicon = Lexicon(
        entries=[
            LexiconEntry("敏感", "sensitive", "warn"),
            LexiconEntry("ＳＥＮＳＩＴＩＶＥ", "sensitive", "warn"),
            LexiconEntry("敏感", "sensitive", "block"),
            LexiconEntry("sensitive", "sensitive", "block"),
        ]
    )
    assert len(lexicon) == 2
    assert [f.severity for f in lexicon.find(text="敏感 Sensitive")] == ["block", "block"]


def test_empty_lexicon_and_registry_find_nothing():
    assert Lexicon(entries=[]).find(text="任何文字") == []
    assert LeaderRegistry(leaders=[]).find(text="市长张三") == []


def test_same_name_leaders_accept_either_title():
    registry = LeaderRegistry(
        leaders=[Leader("王伟", ("副省长",), "title_first"), Leader("王伟", ("市长",), "name_first")]
    )
    assert registry.find(text="副省长王伟，王伟市长，市长王伟") == []
    assert [f.matched for f in registry.find(text="县长王伟")] == ["县长王伟"]


def test_custom_titles_and_gap():
    registry = LeaderRegistry(leaders=[Leader("张三", ("省长",))], titles=("巡视员",), max_gap=0)
    assert [f.matched for f in registry.find(text="巡视员张三")] == ["巡视员张三"]
    assert registry.find(text="市长张三") == []  # not a configured title
    assert registry.find(text="巡视员 张三") == []  # gap not allowed


def test_invalid_entries_are_rejected():
    with pytest.raises(ValueError, match="词条不能为空"):
        LexiconEntry("\u200b ", "sensitive", "block")
    with pytest.raises(ValueError, match="未知类别"):
        LexiconEntry("词", "politics", "block")
    with pytest.raises(ValueError, match="未知级别"):
        LexiconEntry("词", "sensitive", "error")
    with pytest.raises(ValueError, match="职务"):
        Leader("张三", ())
    with pytest.raises(ValueError, match="顺序"):
        Leader("张三", ("省长",), "before")


def test_unknown_platform_is_refused():
    with pytest.raises(ValueError, match="未知平台"):
        run_checks(text="", platform="douyin", lexicon=None, leaders=None)
    with pytest.raises(ValueError, match="未知平台"):
        check_links(text="", platform="douyin")


def test_links_report_unlocatable_anchors_without_a_span():
    findings = check_links(
        text="图片",
        html='<a href="https://example.com/x"><img src="a.png"></a><a href="#top">顶部</a>',
        platform="wechat",
    )
    assert [(f.start, f.end, f.matched) for f in findings] == [(0, 0, "")]
    assert "https://example.com/x" in findings[0].message


def test_links_skip_bare_urls_already_reported_as_anchors_and_non_web_schemes_warn():
    html = '<p><a href="https://example.com/a">https://example.com/a</a> <a href="mailto:x@example.com">信箱</a></p>'
    findings = check_links(text="https://example.com/a 信箱", html=html, platform="wechat")
    assert [f.matched for f in findings] == ["https://example.com/a", "信箱"]


def test_repost_sources_are_configurable():
    local = OfficialSources(domains=frozenset({"example.org"}), names=frozenset({"某市发布"}))
    assert check_repost(is_repost=True, repost_source="某市发布微博", official_sources=local) == []
    assert check_repost(is_repost=True, repost_source="https://news.example.org/1", official_sources=local) == []
    [finding] = check_repost(is_repost=True, repost_source="新华社", official_sources=local)
    assert finding.rule == "repost_source_unofficial" and "新华社" in finding.message
    assert not DEFAULT_OFFICIAL_SOURCES.is_official(source="新华社 https://example.com/copy")


def test_get_lexicon_compiles_once_per_version():
    loads = []

    def load():
        loads.append(1)
        return [LexiconEntry("法轮功", "sensitive", "block")]

    first = get_lexicon(version="v1", load=load)
    assert get_lexicon(version="v1", load=load) is first
    assert len(loads) == 1
    second = get_lexicon(version="v2", load=load)
    assert second is not first and second.version == "v2" and len(loads) == 2
    clear_caches()
    assert get_lexicon(version="v1", load=load) is not first and len(loads) == 3


def test_cache_evicts_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(engine, "CACHE_SIZE", 2)
    loaded = []

    def loader(tag):
        def load():
            loaded.append(tag)
            return []

        return load

    a = get_lexicon(version="a", load=loader("a"))
    get_lexicon(version="b", load=loader("b"))
    assert get_lexicon(version="a", load=loader("a")) is a  # refreshes "a"
    get_lexicon(version="c", load=loader("c"))  # evicts "b"
    assert get_lexicon(version="a", load=loader("a")) is a
    get_lexicon(version="b", load=loader("b"))
    assert loaded == ["a", "b", "c", "b"]


def test_get_leader_registry_is_cached_separately_from_lexicons():
    registry = get_leader_registry(version="v1", load=lambda: [Leader("张三", ("省长",))])
    assert get_leader_registry(version="v1", load=lambda: pytest.fail("reloaded")) is registry
    assert isinstance(get_lexicon(version="v1", load=list), Lexicon)


def test_content_version_follows_the_entries_not_their_order():
    a = LexiconEntry("甲", "sensitive", "block")
    b = LexiconEntry("乙", "typo", "warn", "丙")
    assert content_version(entries=[a, b]) == content_version(entries=[b, a])
    assert content_version(entries=[a, b]) != content_version(entries=[a, LexiconEntry("乙", "typo", "warn", "丁")])


def test_finding_is_immutable():
    finding = Finding("typo", "wording", "warn", "疑似错别字", 0, 1, "暴")
    with pytest.raises(AttributeError):
        finding.start = 3


def test_characters_outside_the_bmp_match_and_keep_code_point_offsets():
    lexicon = Lexicon(entries=[LexiconEntry("𠮷野家", "advertising", "warn"), LexiconEntry("野家", "typo", "warn")])
    text = "𩸽𠮷野家，野家"
    assert [(f.rule, f.start, f.end) for f in lexicon.find(text=text)] == [("advertising", 1, 4), ("typo", 5, 7)]


def test_wrong_title_suggests_the_first_configured_title_in_the_written_order():
    registry = LeaderRegistry(leaders=[Leader("赵六", ("市长", "市委副书记"))])
    [before] = registry.find(text="县长赵六")
    [after] = registry.find(text="赵六县长")
    assert before.suggestion == "市长赵六" and after.suggestion == "赵六市长"
    assert "规范职务为“市长、市委副书记”" in before.message


def test_official_name_with_its_domain_in_brackets():
    assert DEFAULT_OFFICIAL_SOURCES.is_official(source="中国政府网（www.gov.cn）")
    assert not DEFAULT_OFFICIAL_SOURCES.is_official(source="某公司（www.example.com）")


def test_follower_words_decide_where_a_name_ends():
    leaders = [Leader("王伟", ("秘书长",), "name_first")]
    assert [f.matched for f in LeaderRegistry(leaders=leaders).find(text="秘书长王伟强调")] == ["秘书长王伟"]
    assert LeaderRegistry(leaders=leaders, followers=()).find(text="秘书长王伟强调") == []
    assert [f.matched for f in LeaderRegistry(leaders=leaders, followers=()).find(text="秘书长王伟。")] == [
        "秘书长王伟"
    ]
