"""Automatic content checks for the five gates (五关): 政治关、法律关、政策关、保密关、文字关.

Pure Python and no database: the post types gather the plain text (and, for WeChat, the HTML) of a
draft, load the agency's lexicon and leader registry (compiled once per version, see
`get_lexicon` / `get_leader_registry`) and call `run_checks` on save and on submit. Each `Finding`
carries character offsets into the checked text so the editor panel can highlight the span, and a
message saying what was found and what to do, in the active language (gettext with Chinese
msgids; the Chinese itself where Django is not configured, as in bench/content_checks.py).
`has_blocking` decides whether submission stops; a signer may still override a blocking finding
with a written reason (that is the caller's business, not this module's).

Matching semantics (what the tests pin down):

- Text is *folded* before matching, and lexicon terms, exemptions, leader names and titles are
  folded the same way (see the notes at "folding" below): NFKC (full-width, compatibility forms),
  diacritics and invisible characters removed (zero-width, BOM, soft hyphen, bidi and annotation
  controls, NUL and other controls, combining marks), ASCII lower case, traditional characters to
  simplified, whitespace to a space; then spaces, hyphens, dots, underscores and asterisks *between
  two CJK characters* are removed, so "法 轮-功" matches 法轮功 while sentence punctuation ("翻。墙")
  still separates words, and spaces between ASCII words stay meaningful. Offsets are mapped back to
  the original text, so ``text[f.start:f.end] == f.matched`` always holds and a highlight covers
  whatever was hidden inside a match.
- Lexicon terms are matched with one Aho-Corasick automaton. CJK terms match anywhere, as
  substrings (Chinese has no word boundaries); a term end that is an ASCII letter or digit only
  matches at an ASCII word boundary, so "vpn" does not fire inside "openvpn" or "vpns". Known
  harmless containing words are configured as exemptions (severity ``allow``, 白名单): any hit
  lying inside an exemption's match is dropped.
- Overlaps: a hit lying inside a longer hit of the same or stricter severity is dropped (this
  reports the longest term at a position, and one finding per phrase); a stricter hit inside a
  laxer one is kept, so a blocking word is never hidden by a warning phrase around it. Hits that
  only partly overlap are both reported.
- Leader names: a known name next to a known title (immediately, or across at most ``max_gap``
  spaces or joiners in the original text) is checked against that person's canonical titles and
  configured order. A name hit counts only when what follows it is not another CJK character, or
  begins a known title, name or typical follower word ("指出", "同志", "主持" ...): that is how
  "王伟强" is not read as "王伟".
- Personal data is matched on digit runs that are not part of a longer run of ASCII letters or
  digits; masked forms (``*`` in place of digits) never match.
- Offsets count Unicode code points (Python string indices); a JavaScript editor that counts
  UTF-16 units must convert them for characters outside the BMP.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from typing import Any, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

import ahocorasick
from django.conf import settings
from django.utils.translation import gettext
from stdnum import luhn
from stdnum.cn import ric

Gate = Literal["political", "legal", "policy", "secrecy", "wording"]
Severity = Literal["block", "warn"]
EntrySeverity = Literal["block", "warn", "allow"]
Platform = Literal["wechat", "weibo"]
Order = Literal["title_first", "name_first"]

BLOCK: Severity = "block"
WARN: Severity = "warn"
ALLOW: EntrySeverity = "allow"


def _(message: str) -> str:
    """``message`` in the active language; the Chinese msgid itself when Django is not configured."""
    return gettext(message) if settings.configured else message


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages (which matches the name). Django's own needs configured settings
    even though it translates nothing, and this module must import without them."""
    return message


# Labels and message templates are msgids (gettext_noop), translated with `_` when a finding is made.
GATE_LABELS: dict[str, str] = {
    "political": gettext_noop("政治关"),
    "legal": gettext_noop("法律关"),
    "policy": gettext_noop("政策关"),
    "secrecy": gettext_noop("保密关"),
    "wording": gettext_noop("文字关"),
}
SEVERITY_LABELS: dict[str, str] = {
    "block": gettext_noop("阻断"),
    "warn": gettext_noop("提醒"),
    "allow": gettext_noop("豁免"),
}
# A stricter entry wins when two lexicon rows fold to the same term, and a hit is only hidden by a
# containing hit of at least its own rank; an exemption outranks both because that is its purpose.
_RANK: dict[str, int] = {"warn": 1, "block": 2, "allow": 3}


class Category(NamedTuple):
    rule: str
    gate: Gate
    default_severity: Severity
    label: str
    found: str
    block_action: str
    warn_action: str

    def message(self, *, matched: str, severity: str, suggestion: str) -> str:
        action = self.block_action if severity == BLOCK else self.warn_action
        # Invisible characters hidden in the match would make the quoted word look intact but be unsearchable.
        found = _(self.found) % {"term": visible(matched)}
        message = _("%(found)s，%(action)s") % {"found": found, "action": _(action)}
        return (
            _("%(message)s建议改为“%(suggestion)s”。") % {"message": message, "suggestion": suggestion}
            if suggestion
            else message
        )


# Lexicon categories. The brief's three (sensitive, banned, advertising) plus two more so that the
# secrecy and wording gates can be driven by the same editable lists (涉密标识, 错别字).
CATEGORIES: dict[str, Category] = {
    "sensitive": Category(
        "sensitive_word",
        "political",
        BLOCK,
        gettext_noop("敏感词"),
        gettext_noop("发现敏感词“%(term)s”"),
        gettext_noop("不得发布，请删除或改写。"),
        gettext_noop("请核实表述是否妥当。"),
    ),
    "banned": Category(
        "banned_expression",
        "policy",
        WARN,
        gettext_noop("禁用表述"),
        gettext_noop("发现不规范表述“%(term)s”"),
        gettext_noop("请按规范表述修改后再提交。"),
        gettext_noop("请按规范表述修改。"),
    ),
    "advertising": Category(
        "advertising",
        "legal",
        WARN,
        gettext_noop("商业广告用语"),
        gettext_noop("发现商业广告用语“%(term)s”"),
        gettext_noop("政务新媒体不得发布商业广告，请删除。"),
        gettext_noop("政务新媒体不得发布商业广告，请核实并删除或改写。"),
    ),
    "secret": Category(
        "secret_marking",
        "secrecy",
        BLOCK,
        gettext_noop("涉密标识"),
        gettext_noop("发现涉密标识“%(term)s”"),
        gettext_noop("涉密内容不得发布，请删除并确认内容不涉及国家秘密和工作秘密。"),
        gettext_noop("请确认内容不涉及国家秘密和工作秘密。"),
    ),
    "typo": Category(
        "typo",
        "wording",
        WARN,
        gettext_noop("错别字"),
        gettext_noop("疑似错别字或不规范用词“%(term)s”"),
        gettext_noop("请改正后再提交。"),
        gettext_noop("请核对。"),
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a text.

    ``start``/``end`` are code-point offsets into the checked plain text and
    ``matched == text[start:end]``; findings that belong to no span of the text (the repost source)
    have ``start == end == 0`` and an empty ``matched``.
    """

    rule: str
    gate: Gate
    severity: Severity
    message: str
    start: int
    end: int
    matched: str
    suggestion: str = ""

    @property
    def gate_label(self) -> str:
        return _(GATE_LABELS[self.gate])

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict for the editor panel and the API."""
        return {
            "rule": self.rule,
            "gate": self.gate,
            "gate_label": self.gate_label,
            "severity": self.severity,
            "message": self.message,
            "start": self.start,
            "end": self.end,
            "matched": self.matched,
            "suggestion": self.suggestion,
        }


def has_blocking(findings: Iterable[Finding]) -> bool:
    """True when any finding blocks submission (a signer's written override is then required)."""
    return any(finding.severity == BLOCK for finding in findings)


# --- folding -------------------------------------------------------------------------------------
#
# One normaliser, applied alike to checked text, lexicon terms, exemptions, leader names and titles,
# so that no single keystroke takes a term out of reach. Two steps, each with an offset map back:
#
# 1. Character by character (one table, `_FOLD`): NFKC (full-width forms, compatibility ideographs,
#    Kangxi radicals, circled characters ...), diacritics removed (canonical decomposition without its
#    combining marks: "fǎlún" is "falun"), ASCII lower case, traditional characters to simplified
#    (OpenCC's character table), every kind of whitespace and the braille blank to a space, and
#    invisible characters removed: format characters (Cf: zero-width space/joiners, BOM, soft hyphen,
#    bidi controls, interlinear annotation marks, tags), control characters other than whitespace
#    (NUL ...), combining and enclosing marks (Mn, Me: U+0301, variation selectors ...), Hangul fillers.
#    Character by character, not over the whole text, so that every folded character comes from
#    exactly one original character.
# 2. Between two CJK characters, a run of joiners (`_JOINERS`: spaces, hyphens and short dashes,
#    dots and middle dots, underscores, asterisks) is removed: Chinese puts no spaces between words,
#    so "法 轮-功" is one word spaced out. Sentence and clause punctuation (。，、；：！？), quotes,
#    brackets, the dash of Chinese prose (破折号 ——) and the ellipsis (……) are real boundaries and
#    stay: "……推翻。墙上……" is two sentences, not the word "翻墙". Spaces elsewhere stay too, since
#    they separate ASCII words ("open vpn" is not "openvpn").


def _load_traditional_to_simplified() -> dict[str, str]:
    """OpenCC's character table (TSCharacters.txt, Apache-2.0, from opencc-python-reimplemented):
    each traditional character to its first, most common simplified form.

    Characters only, not OpenCC's phrase table: a phrase conversion may change the length of the
    text, and a character-level fold keeps every folded character tied to one original character.
    Where a character has several simplified forms ("乾" is 干 or 乾) the first is taken; terms and
    texts fold alike, so that costs no match.
    """
    table: dict[str, str] = {}
    source = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in source.read_text(encoding="utf-8").splitlines():
        traditional, _tab, simplified = line.partition("\t")
        if len(traditional) == 1 and simplified:
            table[traditional] = simplified.split(" ")[0]
    return table


_T2S = _load_traditional_to_simplified()
_JOINERS = " -‐‒–−.·•‧∙⋅・_*∗⁎"
_BRAILLE_BLANK = "\u2800"
# Characters that show nothing without being format characters: Hangul fillers (letters, dropped)
# and the braille blank (a symbol, read as a space).
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0" + _BRAILLE_BLANK)
_DROPPED_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me"})
_CJK = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RE = re.compile(f"[{_CJK}]")
_JOIN_RE = re.compile(f"(?<=[{_CJK}])[{re.escape(_JOINERS)}]+(?=[{_CJK}])")


def _fold_char(ch: str) -> str:
    """Step 1 for one character: its folded form, '' when it is dropped, several characters for a few
    NFKC expansions ("㍿", "ﬁ")."""
    category = unicodedata.category(ch)
    if category in ("Cn", "Co", "Cs"):  # unassigned, private use, lone surrogates
        return ch
    if category[0] in "LNPS" and ch not in _BLANKS and unicodedata.is_normalized("NFKD", ch):
        # The common case, and a shortcut only (the steps below give the same): nothing to decompose.
        return _simplify(ch)
    compatible = unicodedata.normalize("NFKC", ch)
    if len(compatible) > 1 and all(c in _JOINERS for c in compatible):
        compatible = ch  # "…" and "‥" are ellipses (sentence punctuation), not dots inside a word
    kept = []
    for c in unicodedata.normalize("NFD", compatible):
        if c.isspace() or c == _BRAILLE_BLANK or unicodedata.category(c)[0] == "Z":
            kept.append(" ")
        elif unicodedata.category(c) not in _DROPPED_CATEGORIES and c not in _BLANKS:
            kept.append(c)
    # Recomposing gives back Hangul syllables and anything else whose decomposition had no marks.
    return "".join(map(_simplify, unicodedata.normalize("NFC", "".join(kept))))


def _simplify(ch: str) -> str:
    """ASCII capitals to lower case, traditional characters to simplified."""
    return chr(ord(ch) + 32) if "A" <= ch <= "Z" else _T2S.get(ch, ch)


def _fold_table() -> dict[int, str]:
    """Code point -> folded string for every character that folding changes. Only those: a lookup
    that misses costs `str.translate` less than one that hits an identity entry."""
    table: dict[int, str] = {}
    # Every block where folding can change a character; the CJK and Hangul syllable blocks in
    # between fold to themselves, except for the traditional characters of the OpenCC table.
    scanned = (
        range(0x3400),
        range(0xA000, 0xAC00),
        range(0xD7A4, 0x20000),
        range(0x2F800, 0x2FA20),  # CJK compatibility ideographs supplement
        range(0xE0000, 0xE0200),  # tags and variation selectors supplement
    )
    for code_point in itertools.chain(*scanned, map(ord, _T2S)):
        ch = chr(code_point)
        folded = _fold_char(ch)
        if folded != ch:
            table[code_point] = folded
    return table


def _char_ranges(code_points: Iterable[int]) -> str:
    """The inside of a regular-expression character class matching exactly ``code_points``."""
    ranges: list[list[int]] = []
    for code_point in sorted(code_points):
        if ranges and ranges[-1][1] == code_point - 1:
            ranges[-1][1] = code_point
        else:
            ranges.append([code_point, code_point])
    return "".join(re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "") for lo, hi in ranges)


_FOLD = _fold_table()
# Where a character folds to other than exactly one character, the folded text stops lining up with
# the original, so finding those characters is all the offset map needs. Characters outside the BMP
# are all matched and then looked up: a long list of ranges there would be tried one by one for every
# character of the text, while the BMP part compiles to a bitmap.
_UNEVEN_BMP = _char_ranges(cp for cp, folded in _FOLD.items() if len(folded) != 1 and cp <= 0xFFFF)
_UNEVEN_RE = re.compile(f"[{_UNEVEN_BMP}\U00010000-\U0010ffff]")
_INVISIBLE = {code_point: None for code_point, folded in _FOLD.items() if not folded}


def fold(value: str) -> str:
    """The folded form used for matching (see the notes above `_load_traditional_to_simplified`)."""
    return _JOIN_RE.sub("", value.translate(_FOLD))


def visible(value: str) -> str:
    """``value`` without the invisible characters that folding drops (for quoting a match)."""
    return value.translate(_INVISIBLE)


class _OffsetMap:
    """Where each character of a derived text comes from, for a text derived from its source by a
    few replacements: ``edits`` are (derived start, source start, derived length, source length),
    in order, and between them the two texts correspond character for character."""

    __slots__ = ("_edits", "_starts")

    def __init__(self, edits: list[tuple[int, int, int, int]]) -> None:
        self._edits = edits
        self._starts = [edit[0] for edit in edits]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source offsets of the non-empty derived span [start, end): from the source character of
        its first character to just after that of its last, so removed characters inside it are
        covered and those at its edges are not."""
        return self._source(start, after=False), self._source(end - 1, after=True)

    def _source(self, index: int, *, after: bool) -> int:
        position = bisect.bisect_right(self._starts, index) - 1
        if position < 0:
            return index + after
        start, source, length, source_length = self._edits[position]
        if index < start + length:  # one of the characters a source character expanded to
            return source + source_length if after else source
        return source + source_length + (index - start - length) + after


class _Folded:
    """A text and its folded form, with the maps from folded offsets back to original ones."""

    __slots__ = ("original", "folded", "_characters", "_character_map", "_join_map", "_split")

    def __init__(self, original: str) -> None:
        self.original = original
        self._characters = original.translate(_FOLD)  # step 1
        self.folded = _JOIN_RE.sub("", self._characters)  # step 2
        self._character_map: _OffsetMap | None = None  # step-1 text -> original
        self._join_map: _OffsetMap | None = None  # folded -> step-1 text
        self._split: str | None = None

    @property
    def split(self) -> str:
        """The folded text in the two-units-per-character form the automata run on (see `_Automaton`)."""
        if self._split is None:
            self._split = self.folded.translate(_SPLIT)
        return self._split

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the non-empty folded span [start, end)."""
        # The maps are built on the first finding only: most texts have none to place.
        if self._join_map is None or self._character_map is None:
            self._join_map = self._map_joins()
            self._character_map = self._map_characters()
        return self._character_map.span(*self._join_map.span(start, end))

    def _map_characters(self) -> _OffsetMap:
        edits, shift = [], 0
        for match in _UNEVEN_RE.finditer(self.original):
            index = match.start()
            length = len(_FOLD.get(ord(match.group()), "?"))
            if length == 1:  # a character outside the BMP that folds to one character
                continue
            edits.append((index + shift, index, length, 1))
            shift += length - 1
        return _OffsetMap(edits)

    def _map_joins(self) -> _OffsetMap:
        edits, removed = [], 0
        if len(self.folded) != len(self._characters):
            for match in _JOIN_RE.finditer(self._characters):
                edits.append((match.start() - removed, match.start(), 0, match.end() - match.start()))
                removed += match.end() - match.start()
        return _OffsetMap(edits)

    def between(self, left: tuple[int, int], right: tuple[int, int]) -> str:
        """The original text between two non-empty folded spans, ``left`` before ``right``."""
        return self.original[self.span(*left)[1] : self.span(*right)[0]]


class _SplitTable(dict):
    """Code point -> two code units: ``chr(0x100 + (cp >> 8)) + chr(0x1200 + (cp & 0xFF))``."""

    def __missing__(self, code_point: int) -> str:
        units = chr(0x100 + (code_point >> 8)) + chr(0x1200 + (code_point & 0xFF))
        # Filled lazily and only for the BMP, so hostile text full of rare astral characters cannot
        # grow the table past 65,536 entries.
        if code_point <= 0xFFFF:
            self[code_point] = units
        return units


_SPLIT = _SplitTable()


class _Automaton:
    """A pyahocorasick automaton over folded text in which each character is split into two units.

    pyahocorasick searches a trie node's edges linearly, and the root of a CJK lexicon has one edge
    per distinct first character - thousands of them - so scanning slows as the lexicon covers more
    of the alphabet. Splitting a character into a high unit (code point >> 8) and a low unit
    (code point & 0xFF) caps a node at 256 low edges or a few dozen high ones in practice (the CJK
    blocks), which made scanning a 20,000-character article against 50,000 terms about 7x faster
    (bench/content_checks.py). High and low units come from disjoint ranges, so a match can only
    start on a high unit: matches always cover whole characters.
    """

    __slots__ = ("_automaton", "_size")

    def __init__(self, words: Iterable[tuple[str, object]]) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        self._size = 0
        for word, value in words:
            self._automaton.add_word(word.translate(_SPLIT), (len(word), value))
            self._size += 1
        if self._size:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self._size

    def iter(self, text: _Folded) -> Iterator[tuple[int, int, Any]]:
        """(start, end, value) of every occurrence of every word, as folded offsets."""
        if not self._size:
            return
        for last, (size, value) in self._automaton.iter(text.split):
            end = (last + 1) >> 1
            yield end - size, end, value


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


# --- lexicon -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One lexicon row. ``severity`` is block, warn, or allow (an exemption, 白名单)."""

    term: str
    category: str
    severity: EntrySeverity
    suggestion: str = ""

    def __post_init__(self) -> None:
        if not fold(self.term).strip():
            raise ValueError(_("词条不能为空"))
        if self.category not in CATEGORIES:
            raise ValueError(_("未知类别：%(category)s") % {"category": self.category})
        if self.severity not in _RANK:
            raise ValueError(_("未知级别：%(severity)s") % {"severity": self.severity})


def content_version(*, entries: Iterable[LexiconEntry]) -> str:
    """A version string derived from the entries themselves, for callers without a revision counter."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: (e.term, e.category, e.severity, e.suggestion)):
        digest.update("\x1f".join((entry.term, entry.category, entry.severity, entry.suggestion)).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


class Lexicon:
    """Sensitive words, banned expressions, ad words ... compiled into one Aho-Corasick automaton.

    Build once per lexicon version (see `get_lexicon`) and share: scanning does not mutate it.
    Terms that fold to the same string are merged, the strictest severity winning.
    """

    __slots__ = ("version", "_automaton")

    def __init__(self, *, entries: Iterable[LexiconEntry], version: str = "") -> None:
        self.version = version
        merged: dict[str, LexiconEntry] = {}
        for entry in entries:
            key = fold(entry.term).strip()
            prior = merged.get(key)
            if prior is None or _RANK[entry.severity] > _RANK[prior.severity]:
                merged[key] = entry
        self._automaton = _Automaton(
            (key, (_RANK[entry.severity], key[0] in _WORD_CHARS, key[-1] in _WORD_CHARS, entry))
            for key, entry in merged.items()
        )

    def __len__(self) -> int:
        return len(self._automaton)

    def find(self, *, text: str) -> list[Finding]:
        """Lexicon findings in ``text``, sorted by position."""
        return self._scan(_Folded(text))

    def _scan(self, text: _Folded) -> list[Finding]:
        folded = text.folded
        length = len(folded)
        hits = []
        for start, end, (rank, needs_left, needs_right, entry) in self._automaton.iter(text):
            if needs_left and start > 0 and folded[start - 1] in _WORD_CHARS:
                continue
            if needs_right and end < length and folded[end] in _WORD_CHARS:
                continue
            hits.append((start, end, rank, entry))
        # Sorted by start, longer first: every hit that could contain this one has been seen, so one
        # furthest end per rank decides containment.
        hits.sort(key=lambda hit: (hit[0], -hit[1]))
        furthest = {1: -1, 2: -1, 3: -1}
        findings = []
        for start, end, rank, entry in hits:
            contained = any(furthest[r] >= end for r in range(rank, 4))
            furthest[rank] = max(furthest[rank], end)
            if contained or entry.severity == ALLOW:
                continue
            o_start, o_end = text.span(start, end)
            matched = text.original[o_start:o_end]
            category = CATEGORIES[entry.category]
            findings.append(
                Finding(
                    rule=category.rule,
                    gate=category.gate,
                    severity=entry.severity,
                    message=category.message(matched=matched, severity=entry.severity, suggestion=entry.suggestion),
                    start=o_start,
                    end=o_end,
                    matched=matched,
                    suggestion=entry.suggestion,
                )
            )
        return findings


# --- leaders -------------------------------------------------------------------------------------

# Titles recognised next to a known name even when no configured leader holds them, so "市长张三"
# is caught for a governor. Each also gets deputy and acting forms (副/常务副/代) automatically.
DEFAULT_LEADER_TITLES: tuple[str, ...] = (
    "书记", "省委书记", "市委书记", "州委书记", "县委书记", "区委书记", "党组书记", "主席", "省长", "市长",
    "州长", "县长", "区长", "盟长", "旗长", "镇长", "乡长", "主任", "厅长", "局长", "部长", "委员长",
    "秘书长", "总理", "院长", "检察长", "政委", "常委", "处长", "科长", "署长", "行长", "会长", "巡视员",
)  # fmt: skip
# Words that typically follow a name in news copy; a known name followed by any other CJK character
# is taken to be part of a longer, different name.
DEFAULT_NAME_FOLLOWERS: tuple[str, ...] = (
    "同志", "指出", "强调", "表示", "说", "在", "主持", "出席", "参加", "调研", "会见", "会晤", "讲话", "一行",
    "等", "和", "与", "及", "同", "率", "带队", "视察", "考察", "走访", "看望", "慰问", "的", "是", "对",
    "代表", "签署", "作", "做", "听取", "要求", "介绍", "宣布", "致辞", "发表", "提出", "还", "也", "就",
    "向", "为", "到", "来", "前往", "深入", "一同", "陪同", "分别", "先后", "随后", "首先", "今天", "今日",
    "昨天", "昨日", "上午", "下午", "晚上", "日前", "近日", "以", "从", "将", "已", "曾", "于", "接受",
    "回答", "批示", "部署", "寄语", "专程", "亲切", "详细", "认真", "充分", "高度", "主讲",
)  # fmt: skip
_TITLE_PREFIXES = ("副", "常务副", "代")


@dataclass(frozen=True, slots=True)
class Leader:
    """A leader's canonical name and title(s); ``order`` fixes how they must be written, if at all.

    ``title_first`` means "省长张三", ``name_first`` means "张三省长", None accepts both.
    """

    name: str
    titles: tuple[str, ...]
    order: Order | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "titles", tuple(self.titles))
        if not fold(self.name).strip():
            raise ValueError(_("领导人姓名不能为空"))
        if not self.titles or not all(fold(title).strip() for title in self.titles):
            raise ValueError(_("“%(name)s”须至少配置一个职务") % {"name": self.name})
        if self.order not in (None, "title_first", "name_first"):
            raise ValueError(_("未知顺序：%(order)s") % {"order": self.order})


_NAME, _TITLE = 1, 2
# (name start, name end, name, title start, title end, title, order as written), folded offsets.
_Candidate = tuple[int, int, str, int, int, str, str]


class LeaderRegistry:
    """Configured name ↔ title pairs, checked for serious misstatements (严重表述错误).

    Names and titles share one automaton. Two leaders with the same name are
    merged (the text cannot tell them apart): either's titles are accepted, and an order is
    enforced only if both agree on it.
    """

    __slots__ = ("version", "_leaders", "_automaton", "_followers", "_max_gap")

    def __init__(
        self,
        *,
        leaders: Iterable[Leader],
        titles: Iterable[str] = DEFAULT_LEADER_TITLES,
        followers: Iterable[str] = DEFAULT_NAME_FOLLOWERS,
        max_gap: int = 1,
        version: str = "",
    ) -> None:
        self.version = version
        self._max_gap = max_gap
        # Titles keep their configured order: the first is the one a correction suggests.
        self._leaders: dict[str, tuple[tuple[str, ...], Order | None]] = {}
        for leader in leaders:
            key = fold(leader.name).strip()
            leader_titles = tuple(fold(title).strip() for title in leader.titles)
            if key in self._leaders:
                known_titles, known_order = self._leaders[key]
                self._leaders[key] = (
                    tuple(dict.fromkeys(known_titles + leader_titles)),
                    known_order if known_order == leader.order else None,
                )
            else:
                self._leaders[key] = (tuple(dict.fromkeys(leader_titles)), leader.order)
        all_titles = {fold(title).strip() for title in titles}
        for leader_titles, _order in self._leaders.values():
            all_titles.update(leader_titles)
        for title in list(all_titles):
            if not title.startswith(_TITLE_PREFIXES):
                all_titles.update(prefix + title for prefix in _TITLE_PREFIXES)
        kinds: dict[str, int] = {}
        for words, kind in ((self._leaders, _NAME), (all_titles, _TITLE)):
            for word in words:
                kinds[word] = kinds.get(word, 0) | kind
        self._automaton = _Automaton((word, (kind, word)) for word, kind in kinds.items())
        # Followers are only looked at right after a name hit, so a startswith there is cheaper than
        # putting frequent words like "的" and "在" into the automaton and walking all their hits.
        self._followers = tuple(word for word in map(fold, followers) if word)

    def __len__(self) -> int:
        return len(self._leaders)

    def find(self, *, text: str) -> list[Finding]:
        """Leader-title findings in ``text``, sorted by position."""
        return self._scan(_Folded(text))

    def _scan(self, text: _Folded) -> list[Finding]:
        if not self._leaders:
            return []
        folded = text.folded
        names: list[tuple[int, int, str]] = []
        title_ending: dict[int, tuple[int, str]] = {}
        title_starting: dict[int, tuple[int, str]] = {}
        word_starts: set[int] = set()
        for start, end, (kind, word) in self._automaton.iter(text):
            word_starts.add(start)
            if kind & _NAME:
                names.append((start, end, word))
            if kind & _TITLE:
                # The longest title wins at either edge: "副省长" before a name, not its tail "省长".
                if end not in title_ending or title_ending[end][0] > start:
                    title_ending[end] = (start, word)
                if start not in title_starting or title_starting[start][0] < end:
                    title_starting[start] = (end, word)
        candidates: list[_Candidate] = []
        names.sort(key=lambda hit: (hit[0], -hit[1]))
        furthest = -1
        for start, end, name in names:
            inside_longer_name = furthest >= end
            furthest = max(furthest, end)
            if inside_longer_name:
                continue
            if (
                end < len(folded)
                and _CJK_RE.match(folded, end)
                and end not in word_starts
                and not folded.startswith(self._followers, end)
            ):
                continue
            before = self._adjacent(text, title_ending, (start, end), step=-1)
            if before is not None:
                candidates.append((start, end, name, *before, "title_first"))
            after = self._adjacent(text, title_starting, (start, end), step=1)
            if after is not None:
                candidates.append((start, end, name, *after, "name_first"))
        return self._judge(text, candidates)

    def _adjacent(
        self, text: _Folded, titles: dict[int, tuple[int, str]], name: tuple[int, int], *, step: int
    ) -> tuple[int, int, str] | None:
        """The title touching the ``name`` span on one side, across at most max_gap spaces, as (title
        start, title end, title).

        Folding removes spaces between CJK characters, so the gap is counted in the original text:
        its visible characters (spaces, or joiners such as "-") must be at most max_gap."""
        folded = text.folded
        position = name[0] if step < 0 else name[1]
        for _ in range(self._max_gap + 1):
            hit = titles.get(position)
            if hit is not None:
                other, word = hit
                title = (other, position) if step < 0 else (position, other)
                gap = text.between(title, name) if step < 0 else text.between(name, title)
                return (*title, word) if len(visible(gap)) <= self._max_gap else None
            gap_index = position - 1 if step < 0 else position
            if not 0 <= gap_index < len(folded) or folded[gap_index] != " ":
                return None
            position += step
        return None

    def _judge(self, text: _Folded, candidates: list[_Candidate]) -> list[Finding]:
        verdicts = []
        for name_start, name_end, name, title_start, title_end, title, written_order in candidates:
            canonical, order = self._leaders[name]
            if title not in canonical:
                problem = "title"
            elif order is not None and order != written_order:
                problem = "order"
            else:
                problem = ""
            verdicts.append((name_start, name_end, name, title_start, title_end, title, written_order, problem))
        # "张三省长李四市长": a title next to two names belongs to the one it is canonical for, so it is
        # not also a wrong title for the other; and it is not a wrong order if the other uses it rightly.
        owned = {(v[3], v[4]) for v in verdicts if v[7] != "title"}
        correctly_used = {(v[3], v[4]) for v in verdicts if not v[7]}
        findings = []
        for name_start, name_end, name, title_start, title_end, title, written_order, problem in verdicts:
            title_span = (title_start, title_end)
            if not problem or title_span in correctly_used or (problem == "title" and title_span in owned):
                continue
            canonical, order = self._leaders[name]
            start, end = text.span(min(name_start, title_start), max(name_end, title_end))
            matched = text.original[start:end]
            shown_titles = "、".join(canonical)
            if problem == "title":
                primary = canonical[0]
                expected = primary + name if (order or written_order) == "title_first" else name + primary
                message = _(
                    "领导人姓名与职务不符：“%(name)s”的规范职务为“%(titles)s”，文中写作“%(matched)s”，"
                    "属严重表述错误，请核实后改正。"
                ) % {"name": name, "titles": shown_titles, "matched": matched}
            else:
                expected = title + name if order == "title_first" else name + title
                message = _(
                    "领导人姓名与职务顺序不规范：应写作“%(expected)s”，文中写作“%(matched)s”，属严重表述错误，请改正。"
                ) % {"expected": expected, "matched": matched}
            findings.append(
                Finding(
                    rule="leader_title",
                    gate="political",
                    severity=BLOCK,
                    message=message,
                    start=start,
                    end=end,
                    matched=matched,
                    suggestion=expected,
                )
            )
        return findings


# --- personal data -------------------------------------------------------------------------------

# Patterns run on folded text (so full-width digits and invisible characters do not evade them) and
# only on digit runs not embedded in a longer run of ASCII letters or digits. Grouped forms are the
# ways the numbers are usually printed: ID 6-8-4, mobile 3-4-4, bank card 4-4-4-4(-3).
_ID_RE = re.compile(r"(?<![0-9a-z])(?:\d{17}[\dx]|\d{6}([ -])\d{8}\1\d{3}[\dx])(?![0-9a-z])", re.ASCII)
_MOBILE_RE = re.compile(r"(?<![0-9a-z+])((?:\+|00)?86[ -]?)?(1[3-9]\d)([ -]?)\d{4}\3(\d{4})(?![0-9a-z])", re.ASCII)
_BANK_RE = re.compile(r"(?<![0-9a-z])(?:\d{16,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?)(?![0-9a-z])", re.ASCII)
_SEPARATORS_RE = re.compile(r"[ -]")


def _personal_finding(text: _Folded, span: tuple[int, int], *, rule: str, masked: str, message: str) -> Finding:
    start, end = text.span(*span)
    # Personal data is a secrecy-gate matter (保密关: 国家秘密、工作秘密和个人隐私). The message
    # shows only the masked form so that stored messages and logs never repeat the number.
    return Finding(
        rule=rule,
        gate="secrecy",
        severity=BLOCK,
        message=message,
        start=start,
        end=end,
        matched=text.original[start:end],
        suggestion=masked,
    )


def _scan_personal_data(text: _Folded) -> list[Finding]:
    findings = []
    taken: list[tuple[int, int]] = []
    for match in _ID_RE.finditer(text.folded):
        number = _SEPARATORS_RE.sub("", match.group()).upper()
        if ric.is_valid(number):
            masked = number[:6] + "*" * 8 + number[-4:]
            message = _("发现未脱敏的身份证号码（%(masked)s），请删除或脱敏（仅保留前六位和后四位）后再提交。") % {
                "masked": masked
            }
            findings.append(_personal_finding(text, match.span(), rule="id_card", masked=masked, message=message))
            taken.append(match.span())
    for match in _BANK_RE.finditer(text.folded):
        digits = _SEPARATORS_RE.sub("", match.group())
        # An 18-digit run that is a valid ID number was taken above: it is an ID, not a card.
        overlaps = any(start < match.end() and match.start() < end for start, end in taken)
        if overlaps or not luhn.is_valid(digits):
            continue
        masked = digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
        message = _("发现未脱敏的银行卡号（%(masked)s），请删除或脱敏（仅保留前六位和后四位）后再提交。") % {
            "masked": masked
        }
        findings.append(_personal_finding(text, match.span(), rule="bank_card", masked=masked, message=message))
    # A mobile number's boundaries keep it out of longer digit runs, so it cannot overlap the above.
    for match in _MOBILE_RE.finditer(text.folded):
        masked = (match.group(1) or "") + match.group(2) + "****" + match.group(4)
        message = _("发现未脱敏的手机号码（%(masked)s），请删除或隐去中间四位后再提交。") % {"masked": masked}
        findings.append(_personal_finding(text, match.span(), rule="mobile", masked=masked, message=message))
    return findings


def check_personal_data(*, text: str) -> list[Finding]:
    """Unmasked ID-card numbers (valid checksum, date and region), mainland mobiles and Luhn-valid
    bank cards in ``text``; all blocking."""
    return sorted(_scan_personal_data(_Folded(text)), key=lambda f: (f.start, f.end))


# --- links and reposts ---------------------------------------------------------------------------

WECHAT_LINK_HOSTS = frozenset({"mp.weixin.qq.com"})
_URL_RE = re.compile(r"(?:https?://|www\.)[a-z0-9\-._~:/?#@!$&*+,;=%]+", re.ASCII)
_URL_TRAILING = ".,;:!?"


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, str]] = []
        self._current: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._close_anchor()
            self._current = ((dict(attrs).get("href") or "").strip(), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close_anchor()

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current[1].append(data)

    def _close_anchor(self) -> None:
        if self._current is not None:
            href, parts = self._current
            self.anchors.append((href, "".join(parts).strip()))
            self._current = None

    def close(self) -> None:
        super().close()
        self._close_anchor()


def _is_external_href(href: str) -> bool:
    try:
        parts = urlsplit(href)
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return True
    if parts.scheme in ("http", "https") or href.startswith("//"):
        return host not in WECHAT_LINK_HOSTS
    # mailto:, tel:, javascript: ... do not work in a WeChat body either; a scheme-less href is a
    # fragment or relative link that an editor left behind and resolves to the article itself.
    return bool(parts.scheme)


def _link_finding(text: _Folded, span: tuple[int, int], href: str) -> Finding:
    start, end = span
    return Finding(
        rule="external_link",
        gate="policy",
        severity=WARN,
        message=_(
            "正文含外部链接（%(href)s）：微信公众号正文只允许 mp.weixin.qq.com 链接，"
            "发布时该链接将转为文末注释，请确认或改用“阅读原文”。"
        )
        % {"href": href},
        start=start,
        end=end,
        matched=text.original[start:end],
    )


def _scan_links(text: _Folded, html: str | None) -> list[Finding]:
    findings = []
    anchored: list[tuple[int, int]] = []
    if html:
        parser = _AnchorParser()
        parser.feed(html)
        parser.close()
        cursor = 0
        for href, label in parser.anchors:
            # Anchors are located in the plain text in document order; one that cannot be found
            # (an image link, text the caller's extraction changed) is reported without a span.
            span = (0, 0)
            for needle in (label, href):
                position = text.original.find(needle, cursor) if needle else -1
                if position >= 0:
                    span = (position, position + len(needle))
                    cursor = span[1]
                    anchored.append(span)
                    break
            if _is_external_href(href):
                findings.append(_link_finding(text, span, href))
    for match in _URL_RE.finditer(text.folded):
        end = len(match.group().rstrip(_URL_TRAILING)) + match.start()
        start, end = text.span(match.start(), end)
        if any(a_start < end and start < a_end for a_start, a_end in anchored):
            continue
        url = text.original[start:end]
        if _is_external_href(url if "://" in url else "http://" + url):
            findings.append(_link_finding(text, (start, end), url))
    return findings


def check_links(*, text: str, html: str | None = None, platform: Platform) -> list[Finding]:
    """External-link warnings: for WeChat bodies, every link (``<a href>`` in ``html`` or a bare URL in
    ``text``) whose host is not mp.weixin.qq.com; Weibo allows external links, so nothing there.

    ``text`` is the plain text the offsets refer to; when ``html`` is given, each anchor is located
    in ``text`` by its label (then its URL) in document order.
    """
    _check_platform(platform)
    if platform != "wechat":
        return []
    return sorted(_scan_links(_Folded(text), html), key=lambda f: (f.start, f.end))


_SOURCE_PREFIX_RE = re.compile(r"^(?:来源|稿源|转自|转载自|转载|来自|据)\s*[:：]?\s*")
_DOMAIN_RE = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?(?:[/?#]\S*)?", re.ASCII)
_NAME_SEPARATORS = " ·•-—|/（）()【】[]:：,，、"
# What may follow an official name and still be that source: its channels, or a byline.
_CHANNEL_SUFFIXES = (
    "客户端", "官方微博", "微博", "微信公众号", "公众号", "微信", "新媒体", "官网", "网", "app", "视频号", "记者",
    "消息", "报道", "评论员",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OfficialSources:
    """Where reposts may come from: government sites and designated sources (转载须注明来源).

    ``domains`` match a host exactly or as a dot-separated suffix ("beijing.gov.cn" is under
    "gov.cn", "fakegov.cn" is not); ``names`` match when the source starts with the name followed
    by nothing, a separator or a channel word ("新华社客户端" yes, "新华社区报" no).
    """

    domains: frozenset[str]
    names: frozenset[str]

    def is_official(self, *, source: str) -> bool:
        """True when every URL in ``source`` is on an official domain and any remaining text names an
        official source."""
        folded = fold(source).strip()
        hosts = [match.group(1) for match in _DOMAIN_RE.finditer(folded)]
        if not all(self._official_host(host) for host in hosts):
            return False
        rest = _SOURCE_PREFIX_RE.sub("", _DOMAIN_RE.sub(" ", folded).strip()).strip(_NAME_SEPARATORS)
        if not rest:
            return bool(hosts)
        return any(self._official_name(rest, fold(name)) for name in self.names)

    def _official_host(self, host: str) -> bool:
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)

    @staticmethod
    def _official_name(rest: str, name: str) -> bool:
        if not rest.startswith(name):
            return False
        tail = rest[len(name) :]
        return not tail or tail[0] in _NAME_SEPARATORS or tail.startswith(_CHANNEL_SUFFIXES)


_OFFICIAL_DOMAINS = (
    "gov.cn", "people.com.cn", "people.cn", "xinhuanet.com", "news.cn", "cctv.com", "cctv.cn", "cnr.cn", "gmw.cn",
    "ce.cn", "chinadaily.com.cn", "chinanews.com", "chinanews.com.cn", "qstheory.cn", "xuexi.cn", "china.com.cn",
    "youth.cn", "12371.cn",
)  # fmt: skip
_OFFICIAL_NAMES = (
    "新华社", "新华网", "人民日报", "人民网", "央视新闻", "中央广播电视总台", "央视网", "央广网", "中国政府网",
    "国务院客户端", "求是", "光明日报", "经济日报", "中国日报", "中国新闻社", "中新社", "学习强国", "中国青年报",
    "中央纪委国家监委网站",
)  # fmt: skip
DEFAULT_OFFICIAL_SOURCES = OfficialSources(domains=frozenset(_OFFICIAL_DOMAINS), names=frozenset(_OFFICIAL_NAMES))


def check_repost(
    *, is_repost: bool, repost_source: str, official_sources: OfficialSources = DEFAULT_OFFICIAL_SOURCES
) -> list[Finding]:
    """Repost findings (no text span): a repost without a source blocks, a non-official one warns."""
    if not is_repost:
        return []
    source = repost_source.strip()
    if not fold(source).strip():
        return [
            Finding(
                rule="repost_source_missing",
                gate="legal",
                severity=BLOCK,
                message=_("转载内容未注明来源：转载须注明来源，请填写原发单位或原文链接。"),
                start=0,
                end=0,
                matched="",
            )
        ]
    if official_sources.is_official(source=source):
        return []
    return [
        Finding(
            rule="repost_source_unofficial",
            gate="policy",
            severity=WARN,
            message=_(
                "转载来源“%(source)s”不在政府网站和指定权威来源之列，"
                "请核实来源的权威性，优先从政府网站和中央主要新闻单位转载。"
            )
            % {"source": source},
            start=0,
            end=0,
            matched="",
        )
    ]


# --- compiled-lexicon cache and the entry point ----------------------------------------------------

CACHE_SIZE = 8
_T = TypeVar("_T")
_cache: OrderedDict[tuple[str, str], object] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[str, str], build: Callable[[], _T]) -> _T:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]  # type: ignore[return-value]
    # Built outside the lock: a 50k-entry compile must not stall scans of other, cached versions.
    # Two threads missing together both build; the second result simply replaces the first.
    value = build()
    with _cache_lock:
        _cache[key] = value
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def get_lexicon(*, version: str, load: Callable[[], Iterable[LexiconEntry]]) -> Lexicon:
    """The compiled lexicon for ``version``; ``load()`` is called only when it is not cached.

    The caller owns the version: any change to the entries must change it (a revision counter, or
    `content_version`). The CACHE_SIZE most recently used lexicons and registries are kept per process.
    """
    return _cached(("lexicon", version), lambda: Lexicon(entries=load(), version=version))


def get_leader_registry(*, version: str, load: Callable[[], Iterable[Leader]]) -> LeaderRegistry:
    """The compiled leader registry for ``version``, with the same caching contract as `get_lexicon`."""
    return _cached(("leaders", version), lambda: LeaderRegistry(leaders=load(), version=version))


def clear_caches() -> None:
    """Forget every compiled lexicon and registry (tests; a process that must release memory)."""
    with _cache_lock:
        _cache.clear()


def _check_platform(platform: str) -> None:
    if platform not in ("wechat", "weibo"):
        raise ValueError(_("未知平台：%(platform)s") % {"platform": platform})


def run_checks(
    *,
    text: str,
    html: str | None = None,
    platform: Platform,
    lexicon: Lexicon | None,
    leaders: LeaderRegistry | None,
    is_repost: bool = False,
    repost_source: str = "",
    official_sources: OfficialSources = DEFAULT_OFFICIAL_SOURCES,
) -> list[Finding]:
    """Every five-gate check on one text, findings sorted by (start, end, rule).

    ``text`` is the plain text shown in the editor (offsets refer to it); ``html`` is the WeChat body
    markup, used only to find links. Pass None for a lexicon or registry that is not configured.
    Submission must stop when `has_blocking` is true, unless a signer overrides with a reason.
    """
    _check_platform(platform)
    folded = _Folded(text)
    findings: list[Finding] = []
    if lexicon is not None:
        findings += lexicon._scan(folded)
    if leaders is not None:
        findings += leaders._scan(folded)
    findings += _scan_personal_data(folded)
    if platform == "wechat":
        findings += _scan_links(folded, html)
    findings += check_repost(is_repost=is_repost, repost_source=repost_source, official_sources=official_sources)
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return findings
