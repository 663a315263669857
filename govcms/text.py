"""Characters no stored text may contain, for every entry point (API schemas, admin requests,
lexicon imports): PostgreSQL refuses NUL outright, XLSX cannot hold most C0 controls, and none
of them belongs in anything an editor writes.

The ranges are written as \\uXXXX escapes, which Python's and ECMA-262 regexes read alike, so
the API's OpenAPI document can state them as a pattern.
"""

import re

# C0 and C1 controls, DEL, and lone UTF-16 surrogates (JSON can escape half a pair; no database
# encoding holds one).
CONTROL_RANGES = r"\u0000-\u001f\u007f-\u009f\ud800-\udfff"
# The same, less tab, line feed and carriage return: what multi-line text may not contain.
MULTILINE_CONTROL_RANGES = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff"

_multiline_control = re.compile(f"[{MULTILINE_CONTROL_RANGES}]")


def has_control_characters(value: str) -> bool:
    """True if `value` holds a control character other than tab, LF or CR (or a lone surrogate)."""
    return _multiline_control.search(value) is not None


def strip_control_characters(value: str) -> str:
    """`value` without the characters `has_control_characters` finds (for text taken as given
    from a platform, where refusing is no option)."""
    return _multiline_control.sub("", value)
