"""Lexicon import from text files and spreadsheets: good rows become entries, bad rows are reported."""

import io

from openpyxl import Workbook

from editorial.checks.engine import Lexicon, LexiconEntry
from editorial.checks.importers import (
    ImportIssue,
    parse_lexicon_file,
    parse_text_lexicon,
    parse_xlsx_lexicon,
)


def _xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_text_happy_path():
    data = (
        "\ufeff词条,类别,级别,建议\n"
        "# 注释行\n"
        "\n"
        "法轮功\n"
        "台湾总统，禁用表述，提醒，台湾地区领导人\n"
        "两岸三地\tbanned\twarn\t海峡两岸和香港、澳门\n"
        '"最低价","advertising","block"\n'
        "VPN,sensitive,Warn\n"
        "最佳实践,广告,白名单\n"
        "暴光,错别字\n"
    ).encode()
    entries, errors = parse_text_lexicon(data=data)
    assert errors == []
    assert entries == [
        LexiconEntry("法轮功", "sensitive", "block"),
        LexiconEntry("台湾总统", "banned", "warn", "台湾地区领导人"),
        LexiconEntry("两岸三地", "banned", "warn", "海峡两岸和香港、澳门"),
        LexiconEntry("最低价", "advertising", "block"),
        LexiconEntry("VPN", "sensitive", "warn"),
        LexiconEntry("最佳实践", "advertising", "allow"),
        LexiconEntry("暴光", "typo", "warn"),
    ]


def test_text_suggestion_keeps_its_commas():
    entries, errors = parse_text_lexicon(data="两岸三地,banned,warn,海峡两岸和香港,澳门")
    assert errors == [] and entries[0].suggestion == "海峡两岸和香港,澳门"


def test_text_without_header_keeps_the_first_row_and_drops_the_bom():
    entries, errors = parse_text_lexicon(data="\ufeff敏感,sensitive\r\n敏感词二\r\n".encode())
    assert errors == [] and [e.term for e in entries] == ["敏感", "敏感词二"]


def test_text_bad_rows_are_reported_with_line_numbers():
    data = (
        "好词,sensitive\n"
        "坏类别,politics\n"
        "坏级别,sensitive,fatal\n"
        ",sensitive,block\n"
        "\u200b\n" + "长" * 101 + "\n" + "ＶＰＮ,sensitive\n" + "vpn,sensitive\n"
    ).encode() + "不是UTF8,sensitive\n".encode("gbk")
    entries, errors = parse_text_lexicon(data=data)
    assert [e.term for e in entries] == ["好词", "ＶＰＮ"]
    assert [issue.line for issue in errors] == [2, 3, 4, 5, 6, 8, 9]
    messages = dict(errors)
    assert "未知类别“politics”" in messages[2]
    assert "未知级别“fatal”" in messages[3]
    assert messages[4] == messages[5] == "词条为空"
    assert "100" in messages[6]
    assert "与第 7 行重复" in messages[8]
    assert "UTF-8" in messages[9]


def test_imported_entries_compile_into_a_lexicon():
    entries, _ = parse_text_lexicon(data="台湾总统,banned,warn,台湾地区领导人\n")
    [finding] = Lexicon(entries=entries).find(text="所谓台湾总统")
    assert finding.suggestion == "台湾地区领导人"


def test_xlsx_with_chinese_header():
    data = _xlsx(
        [
            ("词条", "类别", "级别", "建议"),
            ("法轮功", "敏感词", "阻断", None),
            ("台湾总统", "禁用表述", "提醒", "台湾地区领导人"),
            (None, None, None, None),
            (8964, "敏感词", None, None),
        ]
    )
    entries, errors = parse_xlsx_lexicon(data=data)
    assert errors == []
    assert entries == [
        LexiconEntry("法轮功", "sensitive", "block"),
        LexiconEntry("台湾总统", "banned", "warn", "台湾地区领导人"),
        LexiconEntry("8964", "sensitive", "block"),
    ]


def test_xlsx_with_english_header_in_any_order_and_missing_columns():
    data = _xlsx([("Suggestion", "Term"), ("曝光", "暴光"), (None, "敏感")])
    entries, errors = parse_xlsx_lexicon(data=io.BytesIO(data))
    assert errors == []
    assert entries == [LexiconEntry("暴光", "sensitive", "block", "曝光"), LexiconEntry("敏感", "sensitive", "block")]


def test_xlsx_bad_rows_report_spreadsheet_row_numbers():
    data = _xlsx(
        [
            ("term", "category", "severity"),
            ("好词", "sensitive", "warn"),
            ("坏词", "nonsense", "warn"),
            ("", "sensitive", ""),
        ]
    )
    entries, errors = parse_xlsx_lexicon(data=data)
    assert [e.term for e in entries] == ["好词"]
    assert [issue.line for issue in errors] == [3, 4]


def test_xlsx_without_header_is_one_error():
    entries, errors = parse_xlsx_lexicon(data=_xlsx([("法轮功", "sensitive", "block")]))
    assert entries == [] and len(errors) == 1 and errors[0].line == 1 and "表头" in errors[0].message


def test_xlsx_empty_and_broken_files():
    assert parse_xlsx_lexicon(data=_xlsx([])) == ([], [ImportIssue(0, "表格为空")])
    entries, errors = parse_xlsx_lexicon(data=b"not a spreadsheet")
    assert entries == [] and errors[0].line == 0 and ".xlsx" in errors[0].message


def test_file_dispatch_by_extension():
    assert parse_lexicon_file(filename="词库.XLSX", data=_xlsx([("词条",), ("甲",)])).entries[0].term == "甲"
    assert parse_lexicon_file(filename="words.txt", data="乙\n".encode()).entries[0].term == "乙"
    entries, errors = parse_lexicon_file(filename="old.xls", data=b"\xd0\xcf\x11\xe0")
    assert entries == [] and ".xlsx" in errors[0].message
