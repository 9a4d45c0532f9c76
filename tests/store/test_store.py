"""The store API against moto: tenant isolation is a property of the keys it builds."""

from __future__ import annotations

import ast
import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain.errors import MalformedRequest, NotFound
from chalicelib.store import registry, tenants, tickets

ROOT = Path(__file__).resolve().parents[2]


def test_reads_with_another_tenants_id_find_nothing(firm, other_firm):
    ticket = firm.new_ticket()
    with pytest.raises(NotFound):
        tickets.get(other_firm.tenant_id, ticket["id"])
    with pytest.raises(NotFound):
        tickets.get_for_change(other_firm.tenant_id, ticket["id"], None)
    with pytest.raises(NotFound):
        registry.get_property(other_firm.tenant_id, firm.property_id)
    with pytest.raises(NotFound):
        tenants.get_user(other_firm.tenant_id, firm.admin_sub)
    assert registry.list_units(other_firm.tenant_id, firm.property_id, firm.building_id) == []
    found, _events = tickets.get(firm.tenant_id, ticket["id"])
    assert found.tenant_id == firm.tenant_id


def test_a_queue_cursor_cannot_carry_a_reader_into_another_tenant(firm, other_firm):
    for i in range(3):
        firm.submit(firm.report(description=f"Problem {i} here"))
    page, cursor = tickets.queue(firm.tenant_id, tickets.QueueFilter(), limit=1)
    assert cursor
    # The cursor holds only sort positions; the partition always comes from the caller.
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert firm.tenant_id not in json.dumps(decoded)
    theirs, _ = tickets.queue(other_firm.tenant_id, tickets.QueueFilter(), limit=5, cursor=cursor)
    assert theirs == []
    forged = base64.urlsafe_b64encode(json.dumps({"g": "open", "q": "x", "s": f"TENANT#{firm.tenant_id}"}).encode())
    with pytest.raises(MalformedRequest):
        tickets.queue(other_firm.tenant_id, tickets.QueueFilter(), cursor=forged.decode())


def test_every_store_function_takes_the_tenant_first():
    """Public functions of the tenant-owned repositories start with tenant_id (a rule, checked)."""
    exempt = {"connection", "ticket_sk", "event_sk", "idempotency_sk", "unit_sk", "building_sk", "property_sk",
              "encode_cursor", "queue_keys", "slug_pk", "public_summary", "create_tenant", "delete_tenant_records",
              "intake_profile", "check_slug_free", "find_replay", "version_sk", "repeat_sk", "score_sk", "public_scorecard",
              "score_change", "standards_document"}  # the last converts an item already read
    offenders = []
    for name in ("tickets", "registry", "tenants", "scores"):
        tree = ast.parse((ROOT / "chalicelib" / "store" / f"{name}.py").read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name not in exempt:
                first = node.args.args[0].arg if node.args.args else None
                if first != "tenant_id":
                    offenders.append(f"{name}.{node.name}({first})")
    assert offenders == []


def test_store_modules_share_conversions_through_items_not_each_others_private_helpers():
    """Arrows inside the store run one way: a module imports shared conversions from
    store/items.py, never a name starting with '_' from a sibling module."""
    offenders = []
    for path in (ROOT / "chalicelib" / "store").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module not in (None, "models", "schema"):
                offenders += [f"{path.name}: from .{node.module} import {a.name}" for a in node.names
                              if a.name.startswith("_")]
    assert offenders == []


def test_the_domain_imports_in_one_direction():
    """No import circle among the domain's modules (lazy imports inside functions included)."""
    domain = ROOT / "chalicelib" / "domain"
    edges: dict[str, set[str]] = {}
    for path in domain.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names |= {node.module} if node.module else {a.name for a in node.names}
        edges[path.stem] = {n for n in names if (domain / f"{n}.py").exists()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in edges.get(start, ()))

    assert [m for m in edges if reaches(m, m, {m})] == []


def test_no_scan_anywhere_in_the_app():
    """Reads are queries on keys or sparse indexes: no Scan in request or job paths."""
    for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("scan", "parallel_scan"):
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.attr}")
            if isinstance(node, ast.Constant) and node.value == "Scan":
                pytest.fail(f"{path.relative_to(ROOT)}:{node.lineno} names the Scan operation")


def test_importing_the_app_creates_no_aws_client():
    """Importing app.py is the cold start, and `chalice package` does it: it must touch nothing."""
    code = (
        "import botocore.client, botocore.session\n"
        "def refuse(*a, **k): raise SystemExit('an AWS client was created at import')\n"
        "botocore.session.Session.create_client = refuse\n"
        "import app\n"
        "print(len(app.app.routes))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    assert result.returncode == 0, result.stderr + result.stdout
    assert int(result.stdout.strip()) > 10
