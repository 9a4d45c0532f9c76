"""Standards templates: YAML files under tenants/templates (bundled into the Lambda package)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve()


def template_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("PROPDESK_TEMPLATES_DIR"):
        dirs.append(Path(os.environ["PROPDESK_TEMPLATES_DIR"]))
    dirs.append(_HERE.parents[1] / "_bundled" / "templates")  # written by infra/ when packaging
    dirs.append(_HERE.parents[2] / "tenants" / "templates")  # the repository
    return [d for d in dirs if d.is_dir()]


@lru_cache(maxsize=1)
def available() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in reversed(template_dirs()):
        for path in sorted(directory.glob("*.yaml")):
            found[path.stem] = path
    return found


def load(name: str) -> dict:
    import yaml  # only sign-up needs YAML
    with available()[name].open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
