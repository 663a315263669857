"""How the Wagtail editor sees a WeChat body, so that opening and posting it back is no edit.

A WeChat body is stored as the sanitiser's HTML (`editorial.sanitize`), whichever way it came in:
the API stores what the client sent, sanitised; the editor stores what its rich-text widget
(Draftail) makes of its own format (contentstate). The editor never posts back the stored bytes:
it converts the stored HTML to contentstate and back, which renames tags (`<b>` → `<strong>`),
drops attributes and whitespace runs, gives every block a new random `data-block-key`, and leaves
out what it has no button for (tables, styled spans, images not chosen from the library). So "the
posted body differs from the stored one" does not mean anybody changed it.

`editor_view` is the comparison both sides go through: the body's contentstate as the editor
would load it, block keys left out. Two bodies with the same view cannot be told apart in the
editor, so posting one back over the other changes nothing a person did; the form then keeps the
stored body unchanged (`editorial.forms.PostPageForm`), so what was approved is what stays and is
published, byte for byte. Any difference in the view (text, styles, links, blocks) is an edit.

Why not rewrite API bodies into the editor's form on write instead: the conversion is lossy for
WeChat articles (it drops body images, tables, colours and quotes the sanitiser allows and the
platform renders), so it would silently publish less than the author sent.
"""

import json
import logging
import re

from wagtail.admin.rich_text.editors.draftail import DraftailRichTextArea

logger = logging.getLogger(__name__)

# A void element written HTML-style (`<br>`, `<img src="…">`): Wagtail's contentstate parser
# expects it closed (`<br/>`) and otherwise fails on the enclosing end tag. Stored bodies are
# serialised by the sanitiser or by Wagtail, so `>` never appears raw inside an attribute value.
_OPEN_VOID = re.compile(r"<(br|hr|img)(\s[^<>]*?)?\s*(?<!/)>", re.IGNORECASE)


def xhtml_voids(html: str) -> str:
    """`html` with its void elements self-closed (`<br>` → `<br/>`); nothing else changes."""
    return _OPEN_VOID.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}/>", html)


def editor_view(html: str | None, widget: DraftailRichTextArea) -> dict | None:
    """The contentstate `widget` (the body's editor) shows for `html`, without block keys (new
    random ones each time a body without them is loaded). None when the editor cannot read it."""
    try:
        state = json.loads(widget.converter.from_database_format(xhtml_voids(html or "")))
    except (AssertionError, ValueError, TypeError, KeyError) as error:  # Wagtail's parser asserts
        logger.info("rich text the editor cannot read: %s", error)
        return None
    for block in state.get("blocks", []):
        block.pop("key", None)
    return state


def same_in_editor(stored: str | None, posted: str | None, widget: DraftailRichTextArea) -> bool:
    """Whether `posted` (what the editor sent back) is `stored` as the editor shows it."""
    if posted is None:
        return False
    seen = editor_view(stored, widget)
    return seen is not None and seen == editor_view(posted, widget)


class StoredBodyEditor(DraftailRichTextArea):
    """Draftail, able to open bodies written outside the editor (HTML-style void elements, as the
    sanitiser writes them); without this the edit page of such a post fails to render."""

    def format_value(self, value):
        return super().format_value(xhtml_voids(value) if isinstance(value, str) else value)
