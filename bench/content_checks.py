"""Benchmark the five-gate content checks against a compiled-regex alternation in the same run.

    .venv/bin/python bench/content_checks.py

Pure Python, no database or Django settings needed. A seeded generator builds a 50,000-entry CJK
lexicon (terms of 2-6 characters) and a 20,000-character article with known hits, then measures:

- compiling the Aho-Corasick `Lexicon` (and a cache hit through `get_lexicon`) against compiling
  one `re` alternation of the same terms, longest first (so the regex also prefers the longest);
- the median of interleaved runs of lexicon matching against `pattern.findall`, and of a full
  `run_checks` (lexicon, 200 leaders, personal data, links) for scale;
- how both grow with the lexicon from 1k to 50k entries (the smaller lexicons are prefixes of a
  shuffled list, so each is a random sample of the big one).

The regex gets the easier job: it runs on the raw text without case folding or invisible-character
removal, while every `Lexicon.find` timing includes folding the text.

Then the cost of the normalisation that catches disguised terms (NFKC, invisible and control
characters, traditional to simplified, joiners between CJK characters, with offset maps): the same
compiled 50,000-term lexicon scans the article folded by today's `_Folded` and by `BaselineFolded`,
a copy of the engine's previous, minimal folding (full-width, ASCII case, zero-width characters)
kept in this script only as the baseline; both interleaved, on the clean article and on one where
every planted term is split by a space, newline, hyphen or zero-width space and one of those follows
every 50th character (which the new folding has to map back, and the old one mostly fails to see
through: it finds fewer hits there).
"""

import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

# Runnable as a plain script from any directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from editorial.checks.engine import (  # noqa: E402
    _SPLIT,
    CATEGORIES,
    Leader,
    LeaderRegistry,
    Lexicon,
    LexiconEntry,
    clear_caches,
    fold,
    get_lexicon,
    run_checks,
)

SEED = 20240601
ENTRIES = 50_000
ARTICLE_CHARS = 20_000
POOL_CHARS = 3_500  # about the size of the commonly used character set
PLANTED_HITS = 40
RUNS = 7
# The regex alternation at 50k takes seconds per run; stop repeating it after this long (but never
# below MIN_RUNS) so the whole benchmark stays well under three minutes on two cores.
REGEX_BUDGET_SECONDS = 20.0
MIN_RUNS = 3
GROWTH_SIZES = (1_000, 5_000, 10_000, 20_000, 50_000)
PUNCTUATION = "，。、；：！？"
NORMALISATION_RUNS = 31
NORMALISATION_TARGET = 1.3
DISGUISES = (" ", "\n", "-", "\u200b")
DISGUISE_EVERY = 50


# --- the engine's previous folding, the baseline for the normalisation's cost -------------------
_BASELINE_INVISIBLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0x1D173, 0x1D17A), (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
)  # fmt: skip


def _baseline_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
    table[0x3000] = table[0x00A0] = 0x20
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = cp + 32
    for cp, target in table.items():
        if target is not None and ord("A") <= target <= ord("Z"):
            table[cp] = target + 32
    for lo, hi in _BASELINE_INVISIBLE:
        for cp in range(lo, hi + 1):
            table[cp] = None
    return table


_BASELINE_FOLD = _baseline_table()


class BaselineFolded:
    """The engine's `_Folded` before the normalisation: a one-to-one fold that only removes a few
    invisible characters, with an offset list built when any were removed. Same interface, so
    `Lexicon._scan` runs unchanged on either."""

    __slots__ = ("original", "folded", "_offsets", "_split")

    def __init__(self, original: str) -> None:
        self.original = original
        self.folded = original.translate(_BASELINE_FOLD)
        self._split: str | None = None
        self._offsets: list[int] | None = None
        if len(self.folded) != len(original):
            self._offsets = [i for i, ch in enumerate(original) if _BASELINE_FOLD.get(ord(ch), 0) is not None]

    @property
    def split(self) -> str:
        if self._split is None:
            self._split = self.folded.translate(_SPLIT)
        return self._split

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self._offsets is None:
            return start, end
        return self._offsets[start], self._offsets[end - 1] + 1


def build_corpus() -> tuple[list[LexiconEntry], str, list[str]]:
    """The lexicon (in shuffled order), the article, and the terms planted in it."""
    rng = random.Random(SEED)
    # Simplified Chinese, as the accounts publish: characters that folding leaves alone (not
    # traditional ones), so that both foldings in `normalisation_cost` see the same text.
    simplified = [ch for ch in map(chr, range(0x4E00, 0x9FA6)) if fold(ch) == ch]
    pool = rng.sample(simplified, POOL_CHARS)
    terms: set[str] = set()
    while len(terms) < ENTRIES:
        terms.add("".join(rng.choice(pool) for _ in range(rng.randint(2, 6))))
    ordered = sorted(terms)
    rng.shuffle(ordered)
    categories = [code for code in CATEGORIES if code != "secret"]
    entries = [
        LexiconEntry(term, categories[index % len(categories)], "block" if index % 3 == 0 else "warn")
        for index, term in enumerate(ordered)
    ]
    # Planted terms come from the first 1,000 entries so that every lexicon in the growth table hits.
    planted = rng.sample(ordered[:1_000], PLANTED_HITS)
    extras = planted + ["省长张三", "市长李四", "13800138000", "11010519491231002X"]
    body_length = ARTICLE_CHARS - sum(len(extra) for extra in extras)
    chars = []
    for index in range(body_length):
        chars.append(rng.choice(PUNCTUATION) if index % 23 == 22 else rng.choice(pool))
    for extra in extras:
        position = rng.randrange(len(chars))
        chars[position:position] = list(extra)
    article = "".join(chars)
    assert len(article) == ARTICLE_CHARS
    return entries, article, planted


def build_leaders() -> LeaderRegistry:
    rng = random.Random(SEED + 1)
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
    titles = ("省长", "市长", "县长", "书记", "主任", "局长", "厅长")
    leaders = [Leader("张三", ("省长",), "title_first"), Leader("李四", ("市长",))]
    while len(leaders) < 200:
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2)))
        leaders.append(Leader(name, (rng.choice(titles),)))
    return LeaderRegistry(leaders=leaders)


def regex_for(entries: list[LexiconEntry]) -> re.Pattern[str]:
    terms = sorted((entry.term for entry in entries), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, terms)))


def timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def interleaved(fast: Callable[[], object], slow: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Alternate the two so background load hits both alike; bound the slow one's total time."""
    fast_times, slow_times = [], []
    spent = 0.0
    while len(fast_times) < RUNS:
        fast_times.append(timed(fast)[0])
        if len(slow_times) < MIN_RUNS or (len(slow_times) < RUNS and spent < REGEX_BUDGET_SECONDS):
            elapsed = timed(slow)[0]
            slow_times.append(elapsed)
            spent += elapsed
    return fast_times, slow_times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def main() -> None:
    began = time.perf_counter()
    print("Content checks: Aho-Corasick lexicon vs compiled re alternation")
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, pyahocorasick {version('pyahocorasick')}"
    )
    entries, article, planted = build_corpus()
    print(f"corpus: {len(entries):,} entries, article {len(article):,} characters, {len(planted)} planted terms\n")

    clear_caches()
    compile_seconds, lexicon = timed(lambda: get_lexicon(version="bench", load=lambda: entries))
    cached_seconds, cached = timed(lambda: get_lexicon(version="bench", load=lambda: entries))
    assert cached is lexicon
    regex_compile_seconds, pattern = timed(lambda: regex_for(entries))
    print("compile, 50,000 entries")
    print(f"  Aho-Corasick Lexicon     {ms(compile_seconds):>14}   (cache hit afterwards: {ms(cached_seconds)})")
    print(f"  re alternation           {ms(regex_compile_seconds):>14}\n")

    found = {finding.matched for finding in lexicon.find(text=article)}
    regex_found = set(pattern.findall(article))
    assert set(planted) <= found and set(planted) <= regex_found, "a planted term was missed"
    print(f"hits: Aho-Corasick {len(found)} distinct terms, regex {len(regex_found)} (planted {len(planted)})")

    ac_times, regex_times = interleaved(lambda: lexicon.find(text=article), lambda: pattern.findall(article))
    leaders = build_leaders()
    full_times = [
        timed(lambda: run_checks(text=article, platform="wechat", lexicon=lexicon, leaders=leaders))[0]
        for _ in range(RUNS)
    ]
    ac_median, regex_median = statistics.median(ac_times), statistics.median(regex_times)
    print(f"\nmatching a {len(article):,}-character article, 50,000 entries (median)")
    print(f"  Aho-Corasick Lexicon.find  {ms(ac_median):>14}   ({len(ac_times)} runs)")
    print(f"  re alternation findall     {ms(regex_median):>14}   ({len(regex_times)} runs)")
    print(f"  ratio regex / Aho-Corasick {regex_median / ac_median:>12,.0f}x")
    full_median = statistics.median(full_times)
    print(f"  full run_checks            {ms(full_median):>14}   ({RUNS} runs; + 200 leaders, PII, links)")

    print("\ngrowth with lexicon size (medians; compile times single-shot)")
    header = (
        f"{'entries':>8} | {'AC compile':>12} {'AC match':>11} | "
        f"{'re compile':>12} {'re match':>12} {'runs':>4} | {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for size in GROWTH_SIZES:
        subset = entries[:size]
        if size == ENTRIES:
            sub_compile, sub_lexicon = compile_seconds, lexicon
            sub_regex_compile, sub_pattern = regex_compile_seconds, pattern
            sub_ac, sub_regex = ac_times, regex_times
        else:
            sub_compile, sub_lexicon = timed(lambda subset=subset: Lexicon(entries=subset))
            sub_regex_compile, sub_pattern = timed(lambda subset=subset: regex_for(subset))
            sub_ac, sub_regex = interleaved(
                lambda lex=sub_lexicon: lex.find(text=article), lambda pat=sub_pattern: pat.findall(article)
            )
        ac, rx = statistics.median(sub_ac), statistics.median(sub_regex)
        print(
            f"{size:>8,} | {ms(sub_compile):>12} {ms(ac):>11} | {ms(sub_regex_compile):>12} {ms(rx):>12} "
            f"{len(sub_regex):>4} | {rx / ac:>6,.0f}x"
        )
    normalisation_cost(lexicon, article, planted)
    print(f"\ntotal benchmark time {time.perf_counter() - began:,.1f} s")


def disguise(article: str, planted: list[str]) -> str:
    """The article with each planted term split by a space, newline, hyphen or zero-width space, and
    one of those after every DISGUISE_EVERY-th character as well."""
    rng = random.Random(SEED + 2)
    for term in planted:
        article = article.replace(term, term[0] + rng.choice(DISGUISES) + term[1:])
    return "".join(
        ch + rng.choice(DISGUISES) if index % DISGUISE_EVERY == DISGUISE_EVERY - 1 else ch
        for index, ch in enumerate(article)
    )


def paired(first: Callable[[], object], second: Callable[[], object]) -> tuple[float, float]:
    """Medians of NORMALISATION_RUNS alternating runs of each."""
    first_times, second_times = [], []
    for _ in range(NORMALISATION_RUNS):
        first_times.append(timed(first)[0])
        second_times.append(timed(second)[0])
    return statistics.median(first_times), statistics.median(second_times)


def normalisation_cost(lexicon: Lexicon, article: str, planted: list[str]) -> None:
    print(f"\nnormalisation cost: Lexicon scan of the article, 50,000 entries (medians of {NORMALISATION_RUNS})")
    header = f"{'article':<34} | {'previous fold':>13} {'hits':>5} | {'normalised':>11} {'hits':>5} | {'ratio':>6}"
    print(header)
    print("-" * len(header))
    ratios = []
    for kind, text in (("clean", article), ("disguised", disguise(article, planted))):
        label = f"{kind}, {len(text):,} chars"
        old_hits = len(lexicon._scan(BaselineFolded(text)))
        new_findings = lexicon.find(text=text)
        assert all(text[f.start : f.end] == f.matched for f in new_findings)
        assert {fold(term) for term in planted} <= {fold(f.matched) for f in new_findings}, "a planted term was missed"
        old, new = paired(
            lambda text=text: lexicon._scan(BaselineFolded(text)), lambda text=text: lexicon.find(text=text)
        )
        ratios.append(new / old)
        print(f"{label:<34} | {ms(old):>13} {old_hits:>5} | {ms(new):>11} {len(new_findings):>5} | {new / old:>5.2f}x")
    verdict = "met" if ratios[0] <= NORMALISATION_TARGET else "MISSED"
    print(f"target on the clean article: <= {NORMALISATION_TARGET}x, {verdict}")


if __name__ == "__main__":
    main()
