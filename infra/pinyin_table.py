"""Writes ``chalicelib/domain/pinyin.txt``: each Chinese character's usual reading, for the
short name PropDesk suggests from a Chinese firm's name (``domain/tenants.suggest_slug``).

A generated file, never edited: ``python -m infra.pinyin_table`` writes it from pypinyin (a
dev dependency; the Lambda package carries the 42 kB table, not pypinyin's 3.6 MB of data),
and ``tests/unit/test_slug_suggestion.py`` checks it against pypinyin for the 3,755 common
characters (GB 2312 level 1).

Format: line 1 the toneless syllables (``ü`` written ``v``, as in slugs), space-separated;
line 2 two base-36 digits per code point from U+4E00 to U+9FFF, the syllable's index
(``zz``: no reading).
"""

from __future__ import annotations

from pathlib import Path

FIRST, LAST = 0x4E00, 0x9FFF
PATH = Path(__file__).resolve().parents[1] / "chalicelib" / "domain" / "pinyin.txt"
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def reading(char: str) -> str:
    from pypinyin import Style, lazy_pinyin
    found = lazy_pinyin(char, style=Style.NORMAL, errors=lambda _: [""])
    return (found[0] if found else "").replace("ü", "v")


def write() -> None:
    readings = [reading(chr(code)) for code in range(FIRST, LAST + 1)]
    syllables = sorted({r for r in readings if r and r.isascii() and r.isalpha()})
    index = {s: i for i, s in enumerate(syllables)}
    assert len(syllables) < 36 * 36 - 1
    codes = []
    for r in readings:
        i = index.get(r)
        codes.append("zz" if i is None else DIGITS[i // 36] + DIGITS[i % 36])
    PATH.write_text(" ".join(syllables) + "\n" + "".join(codes) + "\n", encoding="ascii")


if __name__ == "__main__":
    write()
