"""The audit log's rules (pure): what an entry says about where a change came from, and how
the log may be filtered."""

from __future__ import annotations

import ipaddress

from .fields import Integer, Shape, Text

QUERY = Shape(fields={"action": Text(required=False, max_len=120, description='a route, e.g. "PUT /api/standards"'),
                      "limit": Integer(required=False, minimum=1, maximum=500, default=100)})


def network_of(address: str) -> str:
    """An address's network, not the address: /24 for IPv4, /48 for IPv6 ('' if unreadable)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    return str(ipaddress.ip_network(f"{address}/{24 if ip.version == 4 else 48}", strict=False))
