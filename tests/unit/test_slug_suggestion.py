"""The short name suggested from a firm's name: pinyin for Chinese, from a table generated from
pypinyin (the oracle here), without the words every firm's name ends with."""

from __future__ import annotations

import re

import pytest
from pypinyin import Style, lazy_pinyin

from chalicelib.domain.tenants import SLUG_PATTERN, pinyin_of, suggest_slug
from infra import pinyin_table


def _common_characters() -> list[str]:
    """GB 2312 level 1: the 3,755 most used characters (rows 16-55 of the code table)."""
    found = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                found.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return found


def test_every_common_character_reads_as_pypinyin_reads_it():
    common = _common_characters()
    assert len(common) == 3755
    wrong = [(c, pinyin_of(c)) for c in common
             if pinyin_of(c) != lazy_pinyin(c, style=Style.NORMAL)[0].replace("ü", "v")]
    assert wrong == []


def test_the_table_is_what_the_generator_writes_from_the_installed_pypinyin(tmp_path, monkeypatch):
    monkeypatch.setattr(pinyin_table, "PATH", tmp_path / "pinyin.txt")
    pinyin_table.write()  # regenerate with `python -m infra.pinyin_table` when pypinyin changes
    assert (tmp_path / "pinyin.txt").read_text() == pinyin_table.Path(
        __file__).resolve().parents[2].joinpath("chalicelib", "domain", "pinyin.txt").read_text()


@pytest.mark.parametrize("name, slug", [
    ("绿苑物业管理有限公司", "lvyuan"),             # lǜ yuàn, the endings dropped
    ("上海陆家嘴物业管理有限公司", "shanghailujiazui"),
    ("万科物业", "wanke"),
    ("碧桂园服务", "biguiyuan"),
    ("长城物业", "changcheng"),                    # 长 read cháng in a place name, not zhǎng
    ("重庆龙湖物业服务有限公司", "chongqinglonghu"),  # 重庆: chóng, not zhòng
    ("绿苑 Court", "lvyuan-court"),
    ("Green Court Property Services", "green-court-property-services"),
    ("物业", "wuye"),                              # nothing but an ending: kept
    ("Ab", ""), ("！！", ""), ("", ""), ("API", ""),  # too short, no letters, reserved
])
def test_a_suggestion_reads_as_a_person_would_write_it(name, slug):
    assert suggest_slug(name) == slug


@pytest.mark.parametrize("name", ["中" * 60, "a" * 80, "绿苑-—Court  2号楼", "Ｇｒｅｅｎ　物业", "é物业", "x--y 物业"])
def test_every_suggestion_is_a_short_name_the_sign_up_accepts(name):
    slug = suggest_slug(name)
    assert slug == "" or (re.fullmatch(SLUG_PATTERN, slug) and "--" not in slug and len(slug) <= 40), slug
