"""Platform limits: Weibo weighted length and status text, WeChat field and body limits, digests."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from editorial.content import (
    LimitError,
    default_digest,
    validate_wechat,
    validate_weibo,
    weibo_status_text,
    weibo_weighted_length,
)

# 20 ASCII characters: its own weight (10) is below the short-link weight (10.5), which counts.
SHORT_LINK = "https://a.gov.cn/p/1"
# 40 ASCII characters: its own weight (20) is above the short-link weight, so it counts.
LONG_LINK = "https://www.example.gov.cn/weibo/p/12345"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("中" * 140, 140),
        ("中" * 141, 141),
        ("a" * 280, 140),
        ("a" * 281, 140.5),
        ("政务abc", 3.5),
        ("，。！", 3),  # full-width punctuation is not ASCII
        ("é", 1),
        ("😀", 2),  # outside the BMP: two UTF-16 code units
        ("https://t.cn/x", 10.5),  # short URL: the short-link weight
        (LONG_LINK, 20),  # long URL: its own weight
        ("看 " + LONG_LINK, 21.5),
        ("网址 " + SHORT_LINK + " 和 " + LONG_LINK + " 完", 2 + 0.5 + 10.5 + 0.5 + 1 + 0.5 + 20 + 0.5 + 1),
    ],
)
def test_weibo_weighted_length(text, expected):
    assert len(LONG_LINK) == 40 and len(SHORT_LINK) == 20
    assert weibo_weighted_length(text) == expected


@pytest.mark.parametrize(
    ("body", "link", "expected"),
    [
        ("今日发布", SHORT_LINK, "今日发布 " + SHORT_LINK),
        ("  今日发布 \n", f" {SHORT_LINK} ", "今日发布 " + SHORT_LINK),
        ("", SHORT_LINK, SHORT_LINK),
        ("通知", "https://gov.cn/甲市/通知 1/", "通知 https://gov.cn/%E7%94%B2%E5%B8%82/%E9%80%9A%E7%9F%A5%201/"),
        ("通知", "https://gov.cn/a%20b/?x=1&y=2#z", "通知 https://gov.cn/a%20b/?x=1&y=2#z"),
    ],
)
def test_weibo_status_text_appends_the_link_once(body, link, expected):
    assert weibo_status_text(body=body, link=link) == expected


def test_weibo_status_with_cjk_link_counts_as_one_url():
    text = weibo_status_text(body="通知", link="https://gov.cn/甲市/")
    # 2 + ½ for the space + the whole encoded URL (34 ASCII = 17), not 7½ for 15 ASCII + 2 CJK + 1.
    assert weibo_weighted_length(text) == 2 + 0.5 + 17


@pytest.mark.parametrize(
    ("body", "link", "length"),
    [
        ("中" * 129, SHORT_LINK, 140),  # 129 + ½ + 10.5
        ("a" * 258, SHORT_LINK, 140),  # 129 + ½ + 10.5
        ("中" * 119, LONG_LINK, 139.5),  # 119 + ½ + 20
    ],
)
def test_weibo_within_limit(body, link, length):
    assert weibo_weighted_length(weibo_status_text(body=body, link=link)) == length
    assert validate_weibo(body=body, link=link, image_count=1) == []


@pytest.mark.parametrize(
    ("body", "link", "excess"),
    [
        ("中" * 130, SHORT_LINK, 1),
        ("中" * 135, SHORT_LINK, 6),
        ("a" * 259, SHORT_LINK, 0.5),
        ("中" * 120, LONG_LINK, 0.5),
        ("中" * 128 + "😀", SHORT_LINK, 1),
    ],
)
def test_weibo_over_limit_says_by_how_much(body, link, excess):
    [error] = validate_weibo(body=body, link=link, image_count=0)
    assert (error.field, error.code, error.limit) == ("body", "too_long", 140)
    assert error.actual == 140 + excess and error.excess == excess
    assert f"超出 140 字限制 {excess:g} 字" in error.message


def test_weibo_image_limit():
    assert validate_weibo(body="图", link=SHORT_LINK, image_count=1) == []
    [error] = validate_weibo(body="图", link=SHORT_LINK, image_count=3)
    assert error == LimitError(
        field="images", code="too_many", message="微博图片超出 1 张限制 2 张", limit=1, actual=3, excess=2
    )
    with pytest.raises(ValueError):
        validate_weibo(body="图", link=SHORT_LINK, image_count=-1)


@pytest.mark.parametrize(
    ("link", "code"),
    [("", "required"), ("   ", "required"), ("ftp://a.gov.cn/x", "invalid"), ("a.gov.cn/x", "invalid")],
)
def test_weibo_needs_an_absolute_link(link, code):
    errors = validate_weibo(body="通知", link=link, image_count=0)
    assert [(e.field, e.code) for e in errors] == [("link", code)]


def test_weibo_limits_follow_settings_at_call_time(settings):
    settings.GOVCMS_WEIBO_TEXT_MAX = 20
    settings.GOVCMS_WEIBO_IMAGES_MAX = 0
    errors = validate_weibo(body="中" * 10, link=SHORT_LINK, image_count=1)
    assert [(e.code, e.limit, e.excess) for e in errors] == [("too_long", 20, 1), ("too_many", 0, 1)]


def test_a_malformed_limit_setting_is_a_configuration_error(settings):
    settings.GOVCMS_WECHAT_TITLE_MAX = "32"
    with pytest.raises(ImproperlyConfigured, match="GOVCMS_WECHAT_TITLE_MAX"):
        validate_wechat(**_article())


# --- WeChat ------------------------------------------------------------------------------------


def _article(**overrides):
    article = {
        "title": "关于开展安全检查的通知",
        "author": "市应急管理局",
        "digest": "",
        "body_html": "<p>正文内容</p>",
        "cover_present": True,
        "is_repost": False,
        "repost_source": "",
    }
    article.update(overrides)
    return article


def test_a_complete_article_passes():
    assert validate_wechat(**_article()) == []
    assert validate_wechat(**_article(title="标" * 32, author="作" * 16, digest="摘" * 128)) == []
    assert validate_wechat(**_article(is_repost=True, repost_source="新华社")) == []
    assert validate_wechat(**_article(body_html='<img src="https://mmbiz.qpic.cn/a.jpg">')) == []


@pytest.mark.parametrize(
    ("field", "value", "message", "limit", "excess"),
    [
        ("title", "标" * 33, "标题超出 32 字限制 1 字", 32, 1),
        ("title", "标" * 37, "标题超出 32 字限制 5 字", 32, 5),
        ("title", "标" * 31 + "😀", "标题超出 32 字限制 1 字", 32, 1),
        ("author", "作" * 17, "作者超出 16 字限制 1 字", 16, 1),
        ("digest", "摘" * 129, "摘要超出 128 字限制 1 字", 128, 1),
    ],
)
def test_wechat_field_over_limit(field, value, message, limit, excess):
    [error] = validate_wechat(**_article(**{field: value}))
    assert error == LimitError(
        field=field, code="too_long", message=message, limit=limit, actual=limit + excess, excess=excess
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"cover_present": False}, "cover"),
        ({"is_repost": True, "repost_source": " "}, "repost_source"),
        ({"body_html": ""}, "body"),
        ({"body_html": "<p> </p><script>正文</script>"}, "body"),
    ],
)
def test_wechat_required_fields(overrides, field):
    [error] = validate_wechat(**_article(**overrides))
    assert (error.field, error.code, error.limit, error.excess) == (field, "required", None, None)
    assert error.message


def test_wechat_title_limit_follows_settings(settings):
    settings.GOVCMS_WECHAT_TITLE_MAX = 64  # the older documented limit
    assert validate_wechat(**_article(title="标" * 64)) == []
    [error] = validate_wechat(**_article(title="标" * 65))
    assert error.message == "标题超出 64 字限制 1 字"


def test_wechat_body_characters_are_counted_on_the_sanitised_html():
    wrapper = len("<p></p>")
    [error] = validate_wechat(**_article(body_html="<p>" + "字" * (20_000 - wrapper) + "</p>"))
    assert (error.field, error.code, error.limit, error.actual, error.excess) == (
        "body",
        "too_long",
        19_999,
        20_000,
        1,
    )
    assert "超出 19999 字符上限 1 字符" in error.message
    # The script is removed before measuring, so it does not count.
    fits = "<p>" + "字" * (19_999 - wrapper) + "</p>"
    assert validate_wechat(**_article(body_html=fits + "<script>" + "x" * 5000 + "</script>")) == []


def test_wechat_body_bytes_bind_when_the_character_limit_is_raised(settings):
    settings.GOVCMS_WECHAT_BODY_MAX_CHARS = 1_000_000
    body = "<p>" + "字" * 333_333 + "</p>"  # 999,999 + 7 bytes
    [error] = validate_wechat(**_article(body_html=body))
    assert (error.code, error.limit, error.actual, error.excess) == ("too_large", 999_999, 1_000_006, 7)
    assert error.message == "正文超出 999999 字节上限 7 字节"


@pytest.mark.parametrize(
    ("body_html", "code"),
    [
        ("<p>\ud800</p>", "invalid_encoding"),
        ("<p>" + "a" * (5 * 1024 * 1024) + "</p>", "too_large"),
    ],
)
def test_wechat_body_the_sanitiser_refuses_is_a_limit_error_not_an_exception(body_html, code):
    [error] = validate_wechat(**_article(body_html=body_html))
    assert (error.field, error.code) == ("body", code)
    assert error.message


def test_all_errors_are_reported_together():
    errors = validate_wechat(
        **_article(title="标" * 40, author="作" * 20, cover_present=False, is_repost=True, repost_source="")
    )
    assert [(e.field, e.excess) for e in errors] == [
        ("title", 8),
        ("author", 4),
        ("cover", None),
        ("repost_source", None),
    ]


@pytest.mark.parametrize(
    ("text", "digest"),
    [
        ("短文", "短文"),
        ("  第一段\n\n第二段\t 第三段 ", "第一段 第二段 第三段"),
        ("字" * 60, "字" * 54),
        ("a b" * 30, ("a b" * 30)[:54]),
    ],
)
def test_default_digest(text, digest):
    assert default_digest(text) == digest
