"""Robot and webhook secrets in the standards are write-only: the rules, no AWS.

An escalation recipient may carry a ``secret`` (a DingTalk robot's signing secret, the key
PropDesk signs its webhooks with). Once saved it never leaves again:

- **Reading** (``GET /api/standards``, the answer to a ``PUT``, the YAML download, the editor):
  every saved secret reads as ``MASK``, so what is read can be sent back as it is.
- **Writing** (``PUT /api/standards``, a pasted YAML file, the editor's form), per recipient:

  ==============================  ====================================================
  the recipient's ``secret``      what is saved
  ==============================  ====================================================
  ``MASK``                        the saved secret of the same robot (same channel and
                                  address, anywhere in the chain), else of the same row
                                  of the same level if its channel is the same; with
                                  none to keep it is refused (it would sign with "*")
  missing                         the saved secret of the same robot (same channel and
                                  address), if there is one; else none
  ``null``                        none: the secret is taken off
  anything else                   that text: a new secret replaces the old one
  ==============================  ====================================================

- **History** (``GET /api/standards/history``, the ``changes`` of a save): a secret's change
  is named, never its text; lines saved before secrets were masked are masked when read.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Iterator

MASK = "********"
LEVELS = ("level1", "level2")
NOTHING_TO_KEEP = ("is the mask of a saved secret, but no saved robot or webhook has this channel and address: "
                   "type the secret")


def recipients(document: Any) -> Iterator[tuple[str, int, dict]]:
    """(level, row, entry) for every recipient entry of the escalation chain."""
    escalation = document.get("escalation") if isinstance(document, dict) else None
    if not isinstance(escalation, dict):
        return
    for level in LEVELS:
        spec = escalation.get(level)
        notify = spec.get("notify") if isinstance(spec, dict) else None
        if isinstance(notify, list):
            for i, entry in enumerate(notify):
                if isinstance(entry, dict):
                    yield level, i, entry


def masked(document: Any) -> Any:
    """A copy of the document with every saved secret read as ``MASK``."""
    if not any(entry.get("secret") for _, _, entry in recipients(document)):
        return document
    document = copy.deepcopy(document)
    for _, _, entry in recipients(document):
        if entry.get("secret"):
            entry["secret"] = MASK
    return document


def with_saved(document: Any, saved: Any) -> tuple[Any, dict[str, str]]:
    """The document to save: each recipient's secret kept, replaced or taken off as the table
    above says, from the ``saved`` document. Returns it with the problems ({path: reason})."""
    by_robot: dict[tuple, str] = {}
    by_row: dict[tuple[str, int], dict] = {}
    for level, i, entry in recipients(saved):
        if entry.get("secret") and entry["secret"] != MASK:
            by_robot.setdefault((entry.get("channel"), entry.get("url")), entry["secret"])
            by_row[(level, i)] = entry
    if not any("secret" in entry or (entry.get("channel"), entry.get("url")) in by_robot
               for _, _, entry in recipients(document)):
        return document, {}
    document = copy.deepcopy(document)
    problems: dict[str, str] = {}
    for level, i, entry in recipients(document):
        mask = "secret" in entry
        if mask and entry["secret"] is None:
            del entry["secret"]  # taken off
            continue
        if mask and entry["secret"] != MASK:
            continue  # a new secret
        kept = by_robot.get((entry.get("channel"), entry.get("url")))
        row = by_row.get((level, i))
        if kept is None and mask and row is not None and row.get("channel") == entry.get("channel"):
            kept = row["secret"]  # the mask on the row's own robot, its address changed
        if kept is not None:
            entry["secret"] = kept
        elif mask:
            problems[f"escalation.{level}.notify[{i}].secret"] = NOTHING_TO_KEEP
    return document, problems


def changed(before: Any, after: Any) -> list[str]:
    """The rows whose secret was added, replaced or taken off, as lines of a change list."""
    old = {(level, i): entry.get("secret") for level, i, entry in recipients(before)}
    new = {(level, i): entry.get("secret") for level, i, entry in recipients(after)}
    return [f"escalation.{level}.notify[{i}].secret: changed (not shown)"
            for level, i in sorted(set(old) | set(new)) if old.get((level, i)) != new.get((level, i))]


_SECRET_IN_TEXT = re.compile(r"""(['"]secret['"]\s*:\s*)('[^']*'?|"[^"]*"?|[^,}\]]*)""")


def masked_line(line: str) -> str:
    """A change line with any secret it quotes (a recipient list written out whole) masked."""
    return _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}'{MASK}'", line)
