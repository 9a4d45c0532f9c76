"""A demo firm on the local stack, made through the services (never raw table writes), so
the demo data is exactly what the product would have made.

Harmony Gardens Property Services (和谐花园物业), slug ``demo``: one property with three
buildings and a dozen units (CSV import), an admin and a staff member with known
passwords, and tickets in the states a queue shows (new, acknowledged, assigned, waiting
on the resident, resolved). Behind them, last month's work (``last_month``): twenty
reports handled and mostly rated by their residents, then frozen by the nightly rollup, so
the dashboard, the monthly review and the public scorecard have something to show from the
first ``make dev``.

Needs the stack's environment in place first (``infra.local.aws.use(stack)``), and is
idempotent: if the slug ``demo`` exists, nothing is done.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SLUG = "demo"
FIRM_NAME = "Harmony Gardens Property Services / 和谐花园物业"
PASSWORD = "Demo-pass-2026"
ADMIN_EMAIL = "admin@demo.propdesk.local"
ADMIN_NAME = "陈静 Chen Jing"
STAFF_EMAIL = "staff@demo.propdesk.local"
STAFF_NAME = "王伟 Wang Wei"

UNITS_CSV = """building,unit,floor
1号楼,101,1
1号楼,102,1
1号楼,201,2
1号楼,202,2
2号楼,101,1
2号楼,102,1
2号楼,301,3
2号楼,302,3
3号楼,1201,12
3号楼,1202,12
3号楼,1203,12
3号楼,1204,12
"""

LOGINS = [
    {"email": ADMIN_EMAIL, "password": PASSWORD, "role": "admin", "name": ADMIN_NAME},
    {"email": STAFF_EMAIL, "password": PASSWORD, "role": "staff", "name": STAFF_NAME},
]


def demo_exists() -> bool:
    from chalicelib.domain.errors import Conflict
    from chalicelib.store import tenants as tenant_store

    try:
        tenant_store.check_slug_free(SLUG)
    except Conflict:
        return True
    return False


DUTY_PHONE = "+8613800138000"  # the cn demo's duty phone: its texts arrive at the local SMS stand-in


def demo_chain(sink_url: str, duty_phone: str | None = None) -> dict:
    """The demo firm's escalation chain: the local webhook sink and an e-mail (moto's SES, or
    the local SMTP server under the cn profile), and a duty phone when one is given."""
    texts = [{"channel": "sms", "to": duty_phone, "name": "Duty phone"}] if duty_phone else []
    return {"warn_at": 0.8,
            "level1": {"notify": [{"channel": "webhook", "url": f"{sink_url}/hook", "secret": "demo-secret"},
                                  {"channel": "email", "to": "ops@demo.propdesk.local", "name": "Ops mailbox"},
                                  *texts]},
            "level2": {"after": "30m", "notify": [{"channel": "webhook", "url": f"{sink_url}/manager",
                                                   "secret": "demo-secret"}]}}


def seed_demo(now: datetime | None = None, sink_url: str | None = None, duty_phone: str | None = None) -> dict:
    """Make the demo firm. Returns {created, slug, tenant_id, logins, tickets, tracking_url};
    ``created`` is False (and nothing else is filled in) when the slug already existed."""
    from chalicelib.adapters import identity as directory
    from chalicelib.domain.identity import Identity
    from chalicelib.services import firm, registry, rollups, signup, staff
    from chalicelib.services import tickets as ticket_service

    if demo_exists():
        return {"created": False, "slug": SLUG, "logins": LOGINS, "tickets": [], "tracking_url": None}
    now = now or datetime.now(timezone.utc)
    month_start = _last_month_start(now)
    joined = month_start + timedelta(hours=8)  # 08:00 on the 1st: last month is its first

    # The firm and its first admin (no e-mail on the local stack; a known password instead).
    answer = signup.sign_up({
        "name": FIRM_NAME, "slug": SLUG, "time_zone": "Asia/Shanghai", "locale": "zh-CN",
        "admin_email": ADMIN_EMAIL, "admin_name": ADMIN_NAME, "template": "prc-residential",
    }, now=joined, send_invite=False, temporary_password=staff.local_temporary_password())
    tenant_id = answer["tenant"]["id"]
    directory.set_password(ADMIN_EMAIL, PASSWORD)
    admin = Identity(tenant_id=tenant_id, sub=answer["admin"]["id"], role="admin", name=ADMIN_NAME,
                     email=ADMIN_EMAIL)

    current = firm.standards(admin)
    document = dict(current["standards"])
    # The demo asks for ratings two minutes after a resolve (firms default to 24 h) and
    # publishes its scorecard at /p/demo/scorecard.
    document["survey"] = {**(document.get("survey") or {}), "after_resolution": "2m", "publish": True}
    if sink_url:  # escalations go somewhere you can watch
        document["escalation"] = demo_chain(sink_url, duty_phone)
    firm.replace_standards(admin, {"standards": document}, f'"{current["version"]}"', now=joined)

    # The register: one property, three buildings and twelve units from a CSV.
    prop = registry.add_property(admin, {"name": "和谐花园 / Harmony Gardens",
                                         "address": "上海市浦东新区和谐路 88 号 / 88 Hexie Road, Pudong, Shanghai"})
    registry.import_units(admin, prop["id"], UNITS_CSV)
    buildings = {b["name"]: b["id"] for b in registry.get_property(admin, prop["id"])["buildings"]}

    # A colleague to assign work to.
    colleague = staff.invite(admin, {"email": STAFF_EMAIL, "name": STAFF_NAME, "role": "staff"})
    directory.set_password(STAFF_EMAIL, PASSWORD)
    worker = Identity(tenant_id=tenant_id, sub=colleague["id"], role="staff", name=STAFF_NAME, email=STAFF_EMAIL)

    def report(building: str, unit: str, category: str, urgency: str, description: str, **extra) -> dict:
        return {"property_id": prop["id"], "building_id": buildings[building], "unit": unit,
                "category": category, "urgency": urgency, "description": description, **extra}

    stories = [
        # (report, hours ago it came in, [(hours after arrival, who, event)])
        (report("2号楼", "302", "fees", "normal", "物业费账单里多了一项“公共能耗分摊”，想了解是怎么算的。"
                "/ The bill has a new 'shared energy' line; how is it worked out?",
                contact={"name": "赵敏", "email": "zhao.min@example.com"}),
         72, [(1, admin, {"type": "acknowledge", "note": "已收到，财务同事会核对。/ Received; finance will check."}),
              (20, admin, {"type": "resolve", "note": "已发送分摊明细到您的邮箱。/ The breakdown is in your e-mail."})]),
        (report("1号楼", "201", "repairs", "normal", "卫生间地漏返臭，已经一周了。/ The bathroom drain has smelt "
                "for a week.", contact={"name": "李娜", "phone": "+86 138 0013 8000"},
                entry={"present": True}),
         48, [(0.5, admin, {"type": "acknowledge"}),
              (1, admin, {"type": "assign", "assignee": worker.sub}),
              (3, worker, {"type": "wait", "question": "请问周六上午 9-12 点家里有人吗？我们上门检查。/ "
                                                        "Is someone home Saturday 9-12 so we can inspect?"})]),
        (report("3号楼", "1203", "environment", "normal", "楼道垃圾桶满了没人清理。/ The bins on our landing "
                "are full and not emptied.", contact={"name": "周杰", "phone": "+86 139 1234 5678"}),
         24, [(2, admin, {"type": "acknowledge", "note": "已通知保洁主管。/ Cleaning lead told."}),
              (2.5, admin, {"type": "assign", "assignee": worker.sub})]),
        (report("1号楼", "102", "repairs", "urgent", "单元门门禁坏了，门关不上。/ The entrance door lock is "
                "broken; the door won't close.", contact={"name": "孙丽", "phone": "+86 137 0000 1111"}),
         5, [(1, worker, {"type": "acknowledge", "note": "维修师傅下午到。/ The technician comes this afternoon."})]),
        (report("3号楼", "1201", "water_leak", "urgent", "楼上漏水，天花板在滴水！/ Water is dripping through "
                "the ceiling from upstairs!", contact={"name": "吴强", "phone": "+86 136 8888 9999"},
                entry={"present": False, "windows": [{"days": [], "from": "08:00", "to": "20:00"}]}),
         0.4, []),  # 24 minutes ago: the 30-minute first response is about to be missed
    ]
    last_month(ticket_service, admin, worker, prop["id"], buildings, month_start)

    made = []
    for n, (body, hours_ago, events) in enumerate(stories, start=1):
        arrived = now - timedelta(hours=hours_ago)
        body.setdefault("entry", {"present": False, "windows": [{"days": ["sat"], "from": "09:00", "to": "12:00"}]})
        submitted, _ = ticket_service.submit_report(SLUG, body, idempotency_key=f"demo-seed-{n:02d}", now=arrived)
        number = submitted["ticket"]["number"]
        ticket_id, version = _fresh_ticket(ticket_service, admin, number)
        status = "new"
        for after_hours, who, event in events:
            view = ticket_service.record_event(who, ticket_id, event, f'"{version}"',
                                               now=arrived + timedelta(hours=after_hours))
            version, status = view["version"], view["status"]
        made.append({"number": number, "id": ticket_id, "status": status,
                     "tracking_url": submitted["ticket"]["tracking_url"]})

    # The nightly rollup freezes last month (its 01:00 has passed since the firm joined); after
    # the stories, which on the 1st to the 3rd of a month arrive in last month too.
    rollups.run(now)
    waiting = next(t for t in made if t["status"] == "waiting")
    return {"created": True, "slug": SLUG, "tenant_id": tenant_id, "property_id": prop["id"], "logins": LOGINS,
            "tickets": made, "tracking_url": waiting["tracking_url"]}


TZ = ZoneInfo("Asia/Shanghai")
HISTORY_REPORTS = 20
HISTORY_KINDS = [  # (category, urgency, description, hours to first response, hours to resolve)
    ("repairs", "normal", "厨房水龙头一直滴水。/ The kitchen tap keeps dripping.", 3, 30),
    ("repairs", "normal", "走廊灯不亮了。/ The corridor light is out.", 2, 8),
    ("repairs", "urgent", "单元门关不上。/ The entrance door will not close.", 1, 5),
    ("water_leak", "urgent", "卫生间天花板渗水。/ Water seeping through the bathroom ceiling.", 0.3, 10),
    ("environment", "normal", "楼下草坪很久没修剪了。/ The lawn below has not been cut for weeks.", 6, 50),
    ("environment", "low", "电梯里有异味。/ The lift smells.", 4, 20),
    ("fees", "normal", "停车费为什么涨了？/ Why did the parking fee go up?", 10, 70),
    ("communication", "normal", "打了三次电话没人接。/ Rang three times and nobody answered.", 5, 26),
]


def _last_month_start(now: datetime) -> datetime:
    """The first moment of last month in the demo firm's zone (Shanghai), in UTC."""
    this_month = now.astimezone(TZ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (this_month - timedelta(days=1)).replace(day=1).astimezone(timezone.utc)


def last_month(ticket_service, admin, worker, property_id: str, buildings: dict, month_start: datetime) -> None:
    """Last month's reports, handled by the two staff and rated by most residents through the
    tracking page, all within the month. Reports that go unrated give no contact, so no
    survey invitation waits for them. A fixed seed keeps the demo the same on every start."""
    from chalicelib.services import surveys

    rng = random.Random(2026)
    units = [line.split(",")[:2] for line in UNITS_CSV.strip().splitlines()[1:]]
    for n in range(1, HISTORY_REPORTS + 1):
        category, urgency, description, respond, resolve = HISTORY_KINDS[rng.randrange(len(HISTORY_KINDS))]
        building, unit = units[rng.randrange(len(units))]
        arrived = month_start + timedelta(days=rng.uniform(0.5, 18), hours=rng.uniform(-3, 3))
        rated = rng.random() < 0.75
        body = {"property_id": property_id, "building_id": buildings[building], "unit": unit,
                "category": category, "urgency": urgency, "description": description}
        if rated:
            body["contact"] = {"name": "业主 Resident", "email": f"resident{n}@example.com"}
        submitted, _ = ticket_service.submit_report(SLUG, body, idempotency_key=f"demo-history-{n:02d}", now=arrived)
        ticket_id, version = _fresh_ticket(ticket_service, admin, submitted["ticket"]["number"])
        who = worker if rng.random() < 0.6 else admin
        responded = respond * rng.uniform(0.5, 2.2)  # some answered late
        fixed = resolve * rng.uniform(0.6, 1.5) * (3 if resolve <= 30 and rng.random() < 0.15 else 1)
        steps = [(responded, admin, {"type": "acknowledge"}),
                 (responded + 0.2, admin, {"type": "assign", "assignee": who.sub}),
                 (max(fixed, responded + 1), who, {"type": "resolve", "note": "已处理。/ Done."})]
        if rng.random() < 0.1:  # not fixed after all: reopened, and fixed on a second visit
            steps += [(steps[-1][0] + 20, admin, {"type": "reopen", "reason": "业主说还没好。/ The resident says not yet."}),
                      (steps[-1][0] + 30, who, {"type": "resolve", "note": "第二次上门已修好。/ Fixed on a second visit."})]
        if rng.random() < 0.4:
            steps.append((steps[-1][0] + rng.uniform(2, 40), admin, {"type": "follow_up", "note": "业主满意。/ Happy."}))
        for after_hours, actor, event in steps:
            version = ticket_service.record_event(actor, ticket_id, event, f'"{version}"',
                                                  now=arrived + timedelta(hours=after_hours))["version"]
        if rated:
            happy = rng.random() < 0.7
            answer = {"rating": str(rng.choice((4, 5)) if happy else rng.choice((2, 3))),
                      "nps": str(rng.choice((8, 9, 10)) if happy else rng.choice((3, 5, 6))),
                      "fixed_first_visit": "yes" if happy or rng.random() < 0.3 else "no",
                      **{f"sq_{d}": str(rng.choice((4, 5)) if happy else rng.choice((2, 3, 4)))
                         for d in ("tangibles", "reliability", "responsiveness", "assurance", "empathy")}}
            token = submitted["ticket"]["tracking_url"].rsplit("/", 1)[1]
            surveys.answer_by_tracking(token, answer, now=arrived + timedelta(hours=steps[-1][0] + 20))


def _fresh_ticket(ticket_service, who, number: int) -> tuple[str, int]:
    """A fresh ticket's id and version, found by its number in the open queue (intake
    answers a resident with the number and tracking link only)."""
    for ticket in ticket_service.queue(who, {"limit": "100"})["tickets"]:
        if ticket["number"] == number:
            return ticket["id"], ticket["version"]
    raise LookupError(f"ticket {number} is not in the queue")
