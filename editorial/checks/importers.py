"""Lexicon import from a text file or a spreadsheet, as agencies keep their word lists.

Both parsers return ``(entries, errors)``: every good row becomes a `LexiconEntry`, every bad row
an `ImportIssue` with its line (or spreadsheet row) number and a message in the active language
(gettext, Chinese msgids), so an admin can
fix the file and re-import; nothing raises on bad content. Line 0 means the file as a whole.

Text format, UTF-8 (a BOM is tolerated), one entry per line::

    # comment
    term[,category[,severity[,suggestion]]]

Fields are separated by an ASCII comma, a full-width comma "，" or a tab; the suggestion is the
rest of the line and may itself contain commas. An optional first row naming the columns is
skipped. Spreadsheets (.xlsx, first sheet) need a header row naming the columns, in English or
Chinese: term/词条, category/类别, severity/级别, suggestion/建议; only the term column is required.

A missing category means ``sensitive``; a missing severity means the category's default
(`CATEGORIES`). Categories and severities are accepted in English or Chinese (see the aliases).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import BinaryIO, NamedTuple

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from editorial.checks.engine import CATEGORIES, SEVERITY_LABELS, LexiconEntry, _, fold
from govcms.text import has_control_characters

MAX_TERM_LENGTH = 100
MAX_SUGGESTION_LENGTH = 200
DEFAULT_CATEGORY = "sensitive"

CATEGORY_ALIASES: dict[str, str] = {
    **{code: code for code in CATEGORIES},
    "sensitive_word": "sensitive",
    "敏感词": "sensitive",
    "敏感": "sensitive",
    "banned_expression": "banned",
    "禁用词": "banned",
    "禁用": "banned",
    "禁用表述": "banned",
    "不规范表述": "banned",
    "ad": "advertising",
    "ads": "advertising",
    "广告": "advertising",
    "广告词": "advertising",
    "商业广告": "advertising",
    "涉密": "secret",
    "涉密词": "secret",
    "保密": "secret",
    "错别字": "typo",
    "错字": "typo",
}
SEVERITY_ALIASES: dict[str, str] = {
    "block": "block",
    "阻断": "block",
    "禁止": "block",
    "拦截": "block",
    "warn": "warn",
    "warning": "warn",
    "提醒": "warn",
    "提示": "warn",
    "警告": "warn",
    "allow": "allow",
    "exempt": "allow",
    "豁免": "allow",
    "白名单": "allow",
    "放行": "allow",
}
HEADER_ALIASES: dict[str, str] = {
    "term": "term",
    "word": "term",
    "词条": "term",
    "词语": "term",
    "category": "category",
    "类别": "category",
    "分类": "category",
    "severity": "severity",
    "level": "severity",
    "级别": "severity",
    "等级": "severity",
    "suggestion": "suggestion",
    "建议": "suggestion",
    "建议表述": "suggestion",
}
COLUMNS = ("term", "category", "severity", "suggestion")
_FIELD_SPLIT = re.compile(r"[,，\t]")


class ImportIssue(NamedTuple):
    line: int
    message: str


class ImportResult(NamedTuple):
    entries: list[LexiconEntry]
    errors: list[ImportIssue]


class _Collector:
    """Validates rows into entries, rejecting duplicates (by folded term) with the first row's number."""

    def __init__(self) -> None:
        self.entries: list[LexiconEntry] = []
        self.errors: list[ImportIssue] = []
        self._seen: dict[str, int] = {}

    def add(self, line: int, fields: dict[str, str]) -> None:
        if any(has_control_characters(value) for value in fields.values()):
            self.errors.append(ImportIssue(line, _("含有控制字符（如 NUL）")))
            return
        term = fields.get("term", "").strip()
        category_raw = fields.get("category", "").strip()
        severity_raw = fields.get("severity", "").strip()
        suggestion = fields.get("suggestion", "").strip()
        if not fold(term).strip():
            self.errors.append(ImportIssue(line, _("词条为空")))
            return
        if len(term) > MAX_TERM_LENGTH:
            self.errors.append(ImportIssue(line, _("词条超过 %(limit)d 个字符") % {"limit": MAX_TERM_LENGTH}))
            return
        category = CATEGORY_ALIASES.get(fold(category_raw), "") if category_raw else DEFAULT_CATEGORY
        if not category:
            known = "、".join(f"{code}（{_(c.label)}）" for code, c in CATEGORIES.items())
            message = _("未知类别“%(category)s”，可用：%(known)s") % {"category": category_raw, "known": known}
            self.errors.append(ImportIssue(line, message))
            return
        severity = (
            SEVERITY_ALIASES.get(fold(severity_raw), "") if severity_raw else CATEGORIES[category].default_severity
        )
        if not severity:
            known = "、".join(f"{code}（{_(label)}）" for code, label in SEVERITY_LABELS.items())
            message = _("未知级别“%(severity)s”，可用：%(known)s") % {"severity": severity_raw, "known": known}
            self.errors.append(ImportIssue(line, message))
            return
        if len(suggestion) > MAX_SUGGESTION_LENGTH:
            self.errors.append(ImportIssue(line, _("建议超过 %(limit)d 个字符") % {"limit": MAX_SUGGESTION_LENGTH}))
            return
        key = fold(term).strip()
        if key in self._seen:
            message = _("词条“%(term)s”与第 %(line)d 行重复，已忽略") % {"term": term, "line": self._seen[key]}
            self.errors.append(ImportIssue(line, message))
            return
        self._seen[key] = line
        self.entries.append(LexiconEntry(term=term, category=category, severity=severity, suggestion=suggestion))

    def result(self) -> ImportResult:
        return ImportResult(self.entries, self.errors)


def _is_header(cells: Iterable[str]) -> bool:
    return any(HEADER_ALIASES.get(fold(cell).strip()) == "term" for cell in cells)


def parse_text_lexicon(*, data: bytes | str) -> ImportResult:
    """Parse the text format (see the module docstring); lines that are not UTF-8 are reported."""
    collector = _Collector()
    header_checked = False
    for number, raw in enumerate(data.splitlines(), start=1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                collector.errors.append(ImportIssue(number, _("不是 UTF-8 编码，请将文件另存为 UTF-8 后重新导入")))
                continue
        else:
            line = raw
        if number == 1:
            line = line.removeprefix("\ufeff")
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        values = [value.strip().strip('"').strip() for value in _FIELD_SPLIT.split(line, maxsplit=3)]
        if not header_checked:
            header_checked = True
            if _is_header(values):
                continue
        collector.add(number, dict(zip(COLUMNS, values, strict=False)))
    return collector.result()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    # Spreadsheet software turns numeric terms ("8964") into numbers; give them back as written.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_xlsx_lexicon(*, data: bytes | BinaryIO) -> ImportResult:
    """Parse the first sheet of an .xlsx workbook with a header row (see the module docstring)."""
    collector = _Collector()
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        collector.errors.append(ImportIssue(0, _("无法读取该文件，请上传 .xlsx 格式的电子表格")))
        return collector.result()
    try:
        columns: dict[str, int] | None = None
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in row]
            if not any(cells):
                continue
            if columns is None:
                columns = {}
                for index, cell in enumerate(cells):
                    column = HEADER_ALIASES.get(fold(cell).strip())
                    if column and column not in columns:
                        columns[column] = index
                if "term" not in columns:
                    collector.errors.append(
                        ImportIssue(
                            number,
                            _(
                                "未找到表头：第一行应为 词条、类别、级别、建议"
                                "（或 term、category、severity、suggestion）"
                            ),
                        )
                    )
                    return collector.result()
                continue
            fields = {column: cells[index] if index < len(cells) else "" for column, index in columns.items()}
            collector.add(number, fields)
    finally:
        workbook.close()
    if columns is None:
        collector.errors.append(ImportIssue(0, _("表格为空")))
    return collector.result()


def parse_lexicon_file(*, filename: str, data: bytes) -> ImportResult:
    """Parse an uploaded lexicon file, choosing the parser by extension (.xlsx, else text)."""
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        return parse_xlsx_lexicon(data=data)
    if lowered.endswith(".xls"):
        return ImportResult([], [ImportIssue(0, _("不支持旧版 .xls 文件，请另存为 .xlsx 后重新导入"))])
    return parse_text_lexicon(data=data)
