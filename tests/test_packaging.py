"""What ships to Lambda matches what the project declares."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROVIDED_BY_LAMBDA_OR_CHALICE = {"chalice", "boto3"}


def names(requirements: list[str]) -> dict[str, str]:
    found = {}
    for line in requirements:
        line = line.split("#")[0].strip()
        if line:
            name = re.split(r"[\[<>=!~ ]", line, maxsplit=1)[0].lower()
            found[name] = line
    return found


def test_requirements_txt_carries_every_runtime_dependency_with_the_same_range():
    declared = names(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    shipped = names((ROOT / "requirements.txt").read_text().splitlines())
    expected = {k: v for k, v in declared.items() if k not in PROVIDED_BY_LAMBDA_OR_CHALICE}
    assert shipped == expected
