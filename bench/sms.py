"""SMS length of residents' messages: every step kind in both locales, rendered as sent.

Each kind is rendered with a realistic worst case of what varies: a 10-character signature
(the longest the setting allows), a four-digit ticket number, a visit with its time range,
staff's words as long as an SMS keeps them, and links on the firm's public base URL
(``PROPDESK_PUBLIC_BASE_URL``, else ``https://desk.example.com``). Pure: no AWS.
"""

from __future__ import annotations

import os

from chalicelib.domain.messages import RESIDENT_KIND, SMS_TEXT_MAX, render
from chalicelib.domain.notices import STEP_KINDS
from chalicelib.domain.sms import sms_segments as segments

SHORT = "AbCdEfGhIjKlMnOpQrStUv"  # a short link's 22 characters
SIGNATURE = {"zh-CN": "绿苑花园物业服务中心", "en": "GreenCourt"}  # 10 characters each
WORDS = {"zh-CN": "请问漏水的位置是在厨房水槽下面还是在卫生间的洗手盆下面呢？", "en": "Is the leak under the kitchen sink or the bathroom basin? " * 2}


def _step(kind: str, locale: str) -> dict:
    words = WORDS[locale][:SMS_TEXT_MAX[locale] + 5]
    facts = {"assigned": {"name": "欧阳建国" if locale == "zh-CN" else "Wang"},
             "visit_booked": {"visit_at": "2026-12-10T01:00:00Z", "visit_until": "2026-12-10T03:00:00Z"},
             "visit_moved": {"visit_at": "2026-12-10T01:00:00Z", "visit_until": "2026-12-10T03:00:00Z"},
             "visit_cancelled": {"visit_at": "2026-12-10T01:00:00Z", "visit_until": "2026-12-10T03:00:00Z"},
             "reply": {"body": words}, "waiting": {"question": words}, "resolved": {"note": words},
             "closed": {"reason": "duplicate"}}
    return {"kind": kind, "at": "2026-12-04T02:00:00Z", **facts.get(kind, {})}


def measure() -> dict:
    base = (os.environ.get("PROPDESK_PUBLIC_BASE_URL") or "https://desk.example.com").rstrip("/")
    link = f"{base}/m/{SHORT}"
    links = {"track": link, "stop": f"{link}/stop", "survey": f"{link}/survey", "not_fixed": f"{link}/not-fixed"}
    found: dict[str, dict[str, int]] = {}
    for locale in ("zh-CN", "en"):
        found[locale] = {}
        for kind in STEP_KINDS:
            text = render(RESIDENT_KIND, locale, {"steps": [_step(kind, locale)], "ticket": "1042", "channel": "sms",
                                                  "signature": SIGNATURE[locale], "time_zone": "Asia/Shanghai",
                                                  "links": links}).text
            found[locale][kind] = segments(text)
    zh_not_resolved = max(v for k, v in found["zh-CN"].items() if k != "resolved")
    return {"base_url": base, "link_chars": len(link), "by_locale_and_kind": found,
            "max": max(max(v.values()) for v in found.values()), "max_zh_cn_except_resolved": zh_not_resolved}
