"""Test numbers built from the published check-digit algorithms, independently of python-stdnum.

The engine validates with stdnum; generating the fixtures with a separate implementation keeps the
tests from merely mirroring the code under test.
"""

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_char(body17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def with_luhn(payload: str) -> str:
    """``payload`` plus the Luhn check digit."""
    return next(payload + d for d in "0123456789" if luhn_ok(payload + d))


def make_id(region: str, birth: str, *, luhn: bool = False) -> str:
    """An 18-digit ID with a correct check character whose Luhn validity is ``luhn`` (so whether it
    could also pass as a bank card is decided by the test, not by chance)."""
    for sequence in range(100, 1000):
        number = region + birth + f"{sequence:03d}"
        number += id_check_char(number)
        if (number.isdigit() and luhn_ok(number)) == luhn:
            return number
    raise AssertionError("no such ID number")


def break_id_check(number: str) -> str:
    """The same ID with a wrong check digit that does not pass Luhn either."""
    for digit in "0123456789":
        candidate = number[:17] + digit
        if digit != number[17] and not luhn_ok(candidate):
            return candidate
    raise AssertionError("no such number")


def break_luhn(number: str) -> str:
    """``number`` with its last digit changed so that Luhn fails."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def full_width(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)


def grouped(value: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    parts, position = [], 0
    for size in sizes:
        parts.append(value[position : position + size])
        position += size
    return sep.join(parts)
