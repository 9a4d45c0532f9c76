"""How many text messages (segments) an SMS costs. Pure: no I/O.

A text whose every character is in the GSM 03.38 alphabet travels as GSM-7: 160 septets
in one message, 153 per part once it must be split (the rest carries the concatenation
header). Characters of the extension table (``^ { } \\ [ ~ ] | €`` and form feed) are an
escape plus a septet, so they count two, and a part never ends between the two. Any other
character (Chinese, ``ç``, curly quotes, emoji) makes the whole text UCS-2: 70 UTF-16 code
units in one message, 67 per part; a character outside the Basic Multilingual Plane (most
emoji) is a surrogate pair, counts two and is never split.

Providers bill per segment, and Chinese carriers count a provider's signature (【...】)
as part of the text, so count the text as the handset will show it.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}


def sms_encoding(text: str) -> str:
    """``GSM-7`` when every character is in the GSM alphabet (basic or extension), else ``UCS-2``."""
    return "GSM-7" if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else "UCS-2"


def sms_units(text: str) -> int:
    """The text's length as the network counts it: septets (GSM-7) or UTF-16 code units (UCS-2)."""
    return sum(_widths(text, sms_encoding(text)))


def sms_segments(text: str) -> int:
    """Messages the text takes (an empty text still takes one)."""
    encoding = sms_encoding(text)
    widths = _widths(text, encoding)
    if sum(widths) <= SINGLE[encoding]:
        return 1
    part, segments, used = PART[encoding], 1, 0
    for width in widths:  # fill each part; a 2-unit character moves whole to the next part
        if used + width > part:
            segments += 1
            used = 0
        used += width
    return segments


def _widths(text: str, encoding: str) -> list[int]:
    if encoding == "GSM-7":
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]
