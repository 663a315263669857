"""WeChat body sanitising: hostile HTML is cleaned or refused, links become footnotes, images are listed."""

import re
import time
from html.parser import HTMLParser

import pytest

from editorial.sanitize import (
    INPUT_MAX_BYTES,
    INPUT_MAX_MARKUP,
    MAX_DEPTH,
    ContentError,
    ImageRef,
    sanitize_wechat_html,
)

# (case, input, what must not survive (lower-cased), the plain text that must)
HOSTILE = [
    ("script", "<p>ok</p><script>alert(1)</script>", ["script", "alert"], "ok"),
    ("script with src", '<script src="https://evil.example/x.js"></script><p>ok</p>', ["script", "evil"], "ok"),
    ("script never closed", "<p>ok</p><script>alert(1)", ["script", "alert"], "ok"),
    ("script upper case", "<p>ok</p><SCRIPT>alert(1)</SCRIPT >", ["script", "alert"], "ok"),
    ("script self-closed", "<p>ok</p><script/>alert(1)</script>", ["script", "alert"], "ok"),
    ("nested script tags", "<<script>script>alert(1)<</script>/script>ok", ["<script", "alert"], "</script>ok"),
    # The tag name is "scr<script" (as in browsers): unknown, so dropped; the rest is inert text.
    ("split script tag", "<scr<script>ipt>alert(1)</script>ok", ["<script"], "ipt>alert(1)ok"),
    ("script in attribute", '<p title="</p><script>alert(1)</script>">ok</p>', ["<script", "alert"], "ok"),
    ("script in comment", "<!-- <script>alert(1)</script> -->ok", ["script", "alert"], "ok"),
    ("img onerror", "<img src=x onerror=alert(1)>ok", ["onerror", "alert", "<img"], "ok"),
    ("event handler", '<p onclick="alert(1)" onmouseover=alert(2)>ok</p>', ["onclick", "onmouseover", "alert"], "ok"),
    ("javascript href", '<a href="javascript:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("mixed case scheme", '<a href="JaVaScRiPt:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("decimal entity", '<a href="&#106;avascript:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("entity without ;", '<a href="&#106avascript:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("hex entity", '<a href="&#x6A;&#x61;vascript:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("named tab entity", '<a href="java&Tab;script:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("raw newline", '<a href="java\nscript:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("leading space", '<a href=" \x01javascript:alert(1)">ok</a>', ["javascript", "href"], "ok"),
    ("vbscript", '<a href="vbscript:msgbox(1)">ok</a>', ["vbscript", "href"], "ok"),
    ("data link", '<a href="data:text/html,<script>alert(1)</script>">ok</a>', ["data:", "script", "href"], "ok"),
    ("javascript img", '<img src="jav&#x09;ascript:alert(1)">ok', ["javascript", "<img"], "ok"),
    ("svg onload", '<svg onload="alert(1)"><circle r="1"/><p>hidden</p></svg>ok', ["svg", "alert", "hidden"], "ok"),
    ("math", "<math><mi>x</mi><p>hidden</p></math>ok", ["math", "hidden"], "ok"),
    ("iframe", '<iframe src="https://evil.example/">inner</iframe>ok', ["iframe", "evil", "inner"], "ok"),
    ("object and embed", '<object data="x.swf"><embed src="x.swf">hidden</object>ok', ["object", "embed", "swf"], "ok"),
    ("style block", "<style>p { color: red }</style><p>ok</p>", ["style", "color"], "ok"),
    ("style url", '<p style="background:url(javascript:alert(1))">ok</p>', ["url(", "javascript", "style"], "ok"),
    ("style url on allowed", '<p style="color: url(javascript:alert(1))">ok</p>', ["url(", "javascript"], "ok"),
    ("style expression", '<p style="width: expression(alert(1))">ok</p>', ["expression", "alert"], "ok"),
    ("style escape", '<p style="color: \\75rl(x)">ok</p>', ["\\75", "style"], "ok"),
    ("style comment", '<p style="color: red/**/; width: 1px">ok</p>', ["/*", "red"], "ok"),
    ("style behaviour", '<p style="behavior: url(x.htc); -moz-binding: url(x)">ok</p>', ["behavior", "binding"], "ok"),
    ("style second rule", '<p style="color: red; position: fixed">ok</p>', ["position", "fixed"], "ok"),
    (
        "form controls",
        '<form action="https://evil.example"><input value="x"><button>b</button>ok</form>',
        ["form", "input", "button", "evil"],
        "bok",
    ),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">ok', ["meta", "javascript"], "ok"),
    ("base tag", '<base href="https://evil.example/">ok', ["base", "evil"], "ok"),
    (
        "unknown attributes",
        '<p id="x" class="c" data-x="1" srcdoc="<script>">ok</p>',
        ["id=", "class=", "data-x", "srcdoc"],
        "ok",
    ),
    ("null bytes", "<scr\x00ipt>alert(1)</script><p>o\x00k</p>", ["\x00", "script", "alert"], "ok"),
    ("void embed", '<embed src="x.swf">ok', ["embed", "swf"], "ok"),
    ("template", "<template><img src=x onerror=alert(1)></template>ok", ["template", "onerror"], "ok"),
    (
        "noscript",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>ok',
        ["onerror", "noscript"],
        '">ok',
    ),
    ("textarea", "<textarea><img src=x onerror=alert(1)></textarea>ok", ["onerror", "textarea"], "ok"),
]


@pytest.mark.parametrize(("case", "raw", "forbidden", "text"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_html_is_neutralised(case, raw, forbidden, text):
    result = sanitize_wechat_html(raw)
    lowered = result.html.lower()
    for needle in forbidden:
        assert needle not in lowered, f"{case}: {needle!r} survived in {result.html!r}"
    assert not re.search(r"\son\w+\s*=", lowered)
    assert result.text == text


def test_dangerous_content_is_reported():
    result = sanitize_wechat_html('<script>x</script><iframe></iframe><p style="position: fixed">a</p>')
    assert result.warnings == ["已移除不支持的内容（连同其中文字）：iframe、script", "已移除 1 条不支持或不安全的样式"]


def test_data_images_are_refused_with_a_warning():
    result = sanitize_wechat_html('<p>a</p><img src="data:image/png;base64,iVBORw0KGgo=">')
    assert result.html == "<p>a</p>"
    assert result.images == []
    assert result.warnings == ["已移除 1 张内嵌（data:）图片，请改为上传图片文件"]


def test_allowed_markup_survives_and_styles_are_normalised():
    raw = (
        '<section style="TEXT-ALIGN:center;color:#333 ; font-size: 15PX !important">'
        "<h2>标题</h2><p><strong>粗</strong><em>斜</em><u>下</u><s>删</s>x<sup>2</sup><sub>i</sub><br>"
        '<span style="color: rgb(0, 0, 0); background-color: hsla(0,0%,0%,0.5)">色</span></p>'
        "<blockquote>引</blockquote><ul><li>一</li></ul><ol><li>二</li></ol><hr>"
        '<table><thead><tr><th colspan="2">表</th></tr></thead><tbody><tr><td rowspan="0">x</td>'
        '<td colspan="3">y</td></tr></tbody></table>'
        "<figure><figcaption>图注</figcaption></figure><pre><code>a  b</code></pre></section>"
    )
    result = sanitize_wechat_html(raw)
    assert result.html == (
        '<section style="text-align: center; color: #333; font-size: 15PX !important">'
        "<h2>标题</h2><p><strong>粗</strong><em>斜</em><u>下</u><s>删</s>x<sup>2</sup><sub>i</sub><br>"
        '<span style="color: rgb(0, 0, 0); background-color: hsla(0,0%,0%,0.5)">色</span></p>'
        "<blockquote>引</blockquote><ul><li>一</li></ul><ol><li>二</li></ol><hr>"
        '<table><thead><tr><th colspan="2">表</th></tr></thead><tbody><tr><td>x</td>'
        '<td colspan="3">y</td></tr></tbody></table>'
        "<figure><figcaption>图注</figcaption></figure><pre><code>a  b</code></pre></section>"
    )
    assert result.text == "标题 粗斜下删x2i 色 引 一 二 表 x y 图注 a b"
    assert result.warnings == []


def test_disallowed_wrappers_are_unwrapped_keeping_text():
    result = sanitize_wechat_html('<div><font color="red">红</font><o:p></o:p><center>中</center></div>')
    assert result.html == "红中"


def test_sloppy_paragraphs_and_lists_are_closed_like_a_browser_would():
    result = sanitize_wechat_html("<p>a<p>b<ul><li>1<li>2</ul><table><tr><td>x<td>y<tr><td>z</table>")
    assert result.html == (
        "<p>a</p><p>b</p><ul><li>1</li><li>2</li></ul><table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>"
    )


def test_entities_and_text_are_escaped_correctly():
    result = sanitize_wechat_html("中文 &amp; &lt;b&gt; &copy; 1 < 2 <b>粗</b>")
    assert result.html == "中文 &amp; &lt;b&gt; © 1 &lt; 2 <b>粗</b>"
    assert result.text == "中文 & <b> © 1 < 2 粗"


# --- links -------------------------------------------------------------------------------------


def test_external_links_become_numbered_footnotes_reusing_numbers():
    result = sanitize_wechat_html(
        '<p><a href="https://www.gov.cn/a">国务院</a>、<a href="http://example.com/b?x=1&amp;y=2">例</a>、'
        '<a href="https://www.gov.cn/a">再次</a></p>'
    )
    assert result.footnotes == [(1, "https://www.gov.cn/a"), (2, "http://example.com/b?x=1&y=2")]
    assert result.html == (
        "<p>国务院<sup>[1]</sup>、例<sup>[2]</sup>、再次<sup>[1]</sup></p>"
        '<section class="footnotes" style="margin-top: 16px; padding-top: 8px; border-top: 1px solid #eeeeee; '
        'font-size: 13px; color: #888888"><p>参考链接</p>'
        "<p>[1] https://www.gov.cn/a</p><p>[2] http://example.com/b?x=1&amp;y=2</p></section>"
    )
    assert "href" not in result.html
    assert result.text == (
        "国务院[1]、例[2]、再次[1] 参考链接 [1] https://www.gov.cn/a [2] http://example.com/b?x=1&y=2"
    )
    assert result.warnings == ["3 处外部链接已改为文末参考链接（微信正文只允许 mp.weixin.qq.com 链接）"]


def test_wechat_article_links_are_kept():
    result = sanitize_wechat_html('<p><a href="https://mp.weixin.qq.com/s/AbC?x=1" title="t">往期</a></p>')
    assert result.html == '<p><a href="https://mp.weixin.qq.com/s/AbC?x=1">往期</a></p>'
    assert result.footnotes == []


@pytest.mark.parametrize(
    ("href", "footnote"),
    [
        # Browsers read `\` as `/`, so the host is evil.example, not WeChat.
        ("https://evil.example\\@mp.weixin.qq.com/", "https://evil.example/@mp.weixin.qq.com/"),
        ("https://mp.weixin.qq.com@evil.example/", "https://mp.weixin.qq.com@evil.example/"),
        ("https://mp.weixin.qq.com.evil.example/", "https://mp.weixin.qq.com.evil.example/"),
        ("https://gov.cn/通知 1", "https://gov.cn/%E9%80%9A%E7%9F%A5%201"),
    ],
)
def test_lookalike_wechat_links_become_footnotes(href, footnote):
    result = sanitize_wechat_html(f'<a href="{href}">x</a>')
    assert result.footnotes == [(1, footnote)]
    assert "<a" not in result.html


@pytest.mark.parametrize("href", ["/local/page/", "page.html", "#top", "//evil.example/x", "https://", "mailto:a@b.cn"])
def test_relative_or_unusable_links_keep_only_their_text(href):
    result = sanitize_wechat_html(f'<a href="{href}">文字</a>')
    assert (result.html, result.footnotes) == ("文字", [])
    assert result.warnings == ["已移除 1 个无效或不安全的链接，保留了链接文字"]


def test_base_url_resolves_relative_links_and_images():
    result = sanitize_wechat_html(
        '<a href="/jiashi/tongzhi/">通知</a><img src="images/a.png">', base_url="https://gov.example.cn/jiashi/"
    )
    assert result.footnotes == [(1, "https://gov.example.cn/jiashi/tongzhi/")]
    assert result.images == [ImageRef(src="https://gov.example.cn/jiashi/images/a.png", hosted=False)]


def test_nested_links_do_not_nest():
    result = sanitize_wechat_html('<a href="https://a.example/">A<a href="https://b.example/">B</a>C</a>')
    assert result.html.startswith("AB<sup>[1]</sup>C")
    assert result.footnotes == [(1, "https://a.example/")]


# --- images ------------------------------------------------------------------------------------


def test_images_are_listed_in_order_once_each_with_hosted_flags():
    result = sanitize_wechat_html(
        '<p><img src="https://www.gov.cn/a.png" alt="国徽" width="300" height="50%" onload="x()"></p>'
        '<img src="http://mmbiz.qpic.cn/mmbiz_jpg/b/0">'
        '<img src="data:image/gif;base64,R0lGOD" data-src="https://mmbiz.qpic.cn/c.jpg">'
        '<img src="/media/images/d.width-800.jpg" width="huge">'
        '<img src="https://www.gov.cn/a.png">'
    )
    assert result.images == [
        ImageRef(src="https://www.gov.cn/a.png", hosted=False),
        ImageRef(src="http://mmbiz.qpic.cn/mmbiz_jpg/b/0", hosted=True),
        ImageRef(src="https://mmbiz.qpic.cn/c.jpg", hosted=True),
        ImageRef(src="/media/images/d.width-800.jpg", hosted=False),
    ]
    assert result.html == (
        '<p><img src="https://www.gov.cn/a.png" alt="国徽" width="300" height="50%"></p>'
        '<img src="http://mmbiz.qpic.cn/mmbiz_jpg/b/0">'
        '<img src="https://mmbiz.qpic.cn/c.jpg">'
        '<img src="/media/images/d.width-800.jpg">'
        '<img src="https://www.gov.cn/a.png">'
    )
    assert result.warnings == []


@pytest.mark.parametrize("src", ["ftp://a.cn/x.png", "x.png", "//cdn.example/x.png", "", "javascript:x"])
def test_unusable_image_sources_drop_the_image(src):
    result = sanitize_wechat_html(f'<p>a<img src="{src}"></p>')
    assert (result.html, result.images) == ("<p>a</p>", [])
    assert result.warnings == ["已移除 1 张地址无效的图片（只支持 http/https 图片）"]


# --- encoding and size -------------------------------------------------------------------------


def test_utf8_bytes_are_accepted_and_a_bom_dropped():
    assert sanitize_wechat_html("\ufeff<p>政务</p>".encode()).html == "<p>政务</p>"
    assert sanitize_wechat_html("<p>政务</p>".encode()).text == "政务"


@pytest.mark.parametrize(
    ("raw", "position"),
    [(b"<p>\xff</p>", 3), (b"<p>\xe6\x94</p>", 3), (b"\xc0\xbc", 0), ("<p>\ud800</p>", 3)],
)
def test_invalid_utf8_is_refused(raw, position):
    with pytest.raises(ContentError) as caught:
        sanitize_wechat_html(raw)
    assert caught.value.code == "invalid_encoding"
    assert caught.value.details == {"position": position}
    assert "UTF-8" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "actual"),
    [
        (b"a" * (INPUT_MAX_BYTES + 1), INPUT_MAX_BYTES + 1),
        ("<p>" + "政" * 1_800_000 + "</p>", 5_400_007),  # fewer characters than the limit, more bytes
        (b"\xff" * (INPUT_MAX_BYTES + 10), INPUT_MAX_BYTES + 10),  # size is checked before decoding
    ],
)
def test_input_over_5_mb_is_refused_before_parsing(raw, actual):
    started = time.perf_counter()
    with pytest.raises(ContentError) as caught:
        sanitize_wechat_html(raw)
    assert time.perf_counter() - started < 0.5
    assert caught.value.code == "too_large"
    assert caught.value.details == {"limit": INPUT_MAX_BYTES, "actual": actual, "excess": actual - INPUT_MAX_BYTES}
    assert f"超出 {INPUT_MAX_BYTES} 字节上限 {actual - INPUT_MAX_BYTES} 字节" in caught.value.message


def test_input_of_exactly_5_mb_is_accepted():
    result = sanitize_wechat_html(b"a" * INPUT_MAX_BYTES)
    assert len(result.html) == INPUT_MAX_BYTES


def test_too_much_markup_is_refused():
    with pytest.raises(ContentError) as caught:
        sanitize_wechat_html("<b>" * (INPUT_MAX_MARKUP + 1))
    assert caught.value.code == "too_complex"
    assert caught.value.details == {"limit": INPUT_MAX_MARKUP, "actual": INPUT_MAX_MARKUP + 1, "excess": 1}


# --- nesting and pathological structure ------------------------------------------------------------


class _Depth(HTMLParser):
    VOID = {"br", "hr", "img"}

    def __init__(self):
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        self.depth -= 1


def _deepest(html):
    parser = _Depth()
    parser.feed(html)
    parser.close()
    return parser.deepest


@pytest.mark.parametrize(
    ("case", "raw", "text"),
    [
        ("10,000 div/span", "<div><span>" * 10_000 + "深" + "</span></div>" * 10_000, "深"),
        ("50,000 unclosed sections", "<section>" * 50_000 + "深", "深"),
        ("unclosed b with text", "<b>层" * 30_000, "层" * 30_000),
        ("mismatched end tags", "<span><em>" * 20_000 + "深" + "</b></i>" * 20_000, "深"),
        # 70 KB that html5ever alone turns into 177 MB: formatting elements reconstructed per paragraph.
        (
            "formatting amplification",
            "<p>" + "".join(f'<b title="{i}">' for i in range(3000)) + "</p><p>x" * 3000,
            " ".join(["x"] * 3000),
        ),
    ],
)
def test_pathological_nesting_completes_quickly_and_bounded(case, raw, text):
    started = time.perf_counter()
    result = sanitize_wechat_html(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < 3, f"{case} took {elapsed:.1f}s"
    assert _deepest(result.html) <= MAX_DEPTH
    assert len(result.html) < 2 * len(raw)
    assert result.text == text
    assert any(f"嵌套超过 {MAX_DEPTH} 层" in warning for warning in result.warnings)


def test_nesting_within_the_limit_is_kept():
    raw = "<section>" * MAX_DEPTH + "x" + "</section>" * MAX_DEPTH
    result = sanitize_wechat_html(raw)
    assert result.html == raw
    assert result.warnings == []


@pytest.mark.parametrize(
    "raw",
    ['<p title="' + "x" * 100_000, "<p>ok</p><!--" + "x" * 100_000, "<p>ok</p><?php " + "x" * 1000, "<p>ok</p></ a"],
)
def test_unterminated_constructs_swallow_the_rest_with_a_warning(raw):
    result = sanitize_wechat_html(raw)
    assert "x" * 100 not in result.html
    assert result.warnings == ["正文中有未闭合的标签或注释，其后的内容已忽略"]


IDEMPOTENCY_CASES = [
    (
        '<section style="color: red; position: absolute"><h1>标题</h1><p>见<a href="https://www.gov.cn/">这里</a>'
        '和<a href="https://mp.weixin.qq.com/s/x">往期</a>。</p>'
        '<img src="https://mmbiz.qpic.cn/a.jpg" alt="&quot;图&quot;">'
        "<table><tr><td colspan=2>1 &lt; 2 &amp; 3</td></tr></table><script>x</script></section>"
    ),
    # Structure decided around a link that is unwrapped into a footnote must not change on re-reading.
    '<p>前<a href="https://e.example/">链<p>段</a>后</p>',
    '<ul><li><a href="https://e.example/">x<li>y</a></ul>',
    '<b><p>a<h2>b</h2>c</b><p>d<a href="https://mp.weixin.qq.com/s/1">e<ul><li>f</a>',
    # The footnote marker of a link at the depth limit.
    "<section>" * (MAX_DEPTH + 5) + '<a href="https://e.example/">x</a>' + "<b>y" * 5,
]


@pytest.mark.parametrize("raw", IDEMPOTENCY_CASES)
def test_sanitising_is_idempotent(raw):
    once = sanitize_wechat_html(raw)
    twice = sanitize_wechat_html(once.html)
    assert twice.html == once.html
    assert twice.text == once.text
    assert twice.images == once.images
    assert twice.warnings == []


def test_a_paragraph_holds_only_phrasing_content():
    result = sanitize_wechat_html("<p><b>粗<h2>题</h2>尾</b></p><p>段<ul><li>项</ul>")
    assert result.html == "<p><b>粗</b></p><h2>题</h2>尾<p>段</p><ul><li>项</li></ul>"


def test_keep_links_stores_links_without_footnotes():
    from editorial.sanitize import sanitize_wechat_html

    raw = '<p>见<a href="https://www.gov.cn/x">通知</a><a href="javascript:alert(1)">坏</a></p>'
    stored = sanitize_wechat_html(raw, keep_links=True)
    assert '<a href="https://www.gov.cn/x">通知</a>' in stored.html
    assert "javascript" not in stored.html and "参考链接" not in stored.html
    published = sanitize_wechat_html(stored.html)
    assert "[1]" in published.html and "https://www.gov.cn/x" in published.html and "<a " not in published.html
