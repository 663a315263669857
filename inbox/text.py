"""Plain text for the inbox: what routing, moves, replies and collection store and compare."""

import html
import logging
import unicodedata

import nh3

from govcms.text import strip_control_characters

from .models import TEXT_LIMIT

logger = logging.getLogger(__name__)


def sanitize_text(raw) -> tuple[str, bool]:
    """Plain text from what a platform or a person gave: markup removed (tags dropped, the text of
    script/style too), entities decoded, control characters removed, NFC, surrounding whitespace
    trimmed, cut to TEXT_LIMIT characters. Returns (text, whether it was cut)."""
    text = html.unescape(nh3.clean(str(raw or ""), tags=set()))
    text = strip_control_characters(unicodedata.normalize("NFC", text)).strip()
    if len(text) > TEXT_LIMIT:
        return text[:TEXT_LIMIT], True
    return text, False
