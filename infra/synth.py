"""Synthesize the PropDesk stack as plain Python (no cdk CLI) and print the template path.

    python infra/synth.py [--outdir DIR] [--stack-name NAME] [-c profile=global|cn]
                          [-c domain_name=... -c certificate_arn=...]

Default output: ``infra/cdk.out/`` (gitignored). ``chalice package`` runs on the way and
fetches the requirements' wheels from PyPI the first time (cached in
``.chalice/deployments/``). Tests call ``synth(outdir)``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
if str(INFRA_DIR) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR))

from cdk_app import DEFAULT_STACK_NAME, build_app, isolated_build  # noqa: E402

DEFAULT_OUTDIR = INFRA_DIR / "cdk.out"


def synth(outdir: str | Path | None = None, stack_name: str = DEFAULT_STACK_NAME,
          context: dict[str, str] | None = None) -> Path:
    """Synthesize into ``outdir`` and return the path of the stack's ``*.template.json``."""
    outdir = Path(outdir or DEFAULT_OUTDIR).resolve()
    if (outdir / "manifest.json").is_file():
        # a previous cloud assembly: drop it, or every synth leaves another copy of the zip
        shutil.rmtree(outdir)
    with isolated_build():
        assembly = build_app(outdir, stack_name, context).synth()
        return Path(assembly.get_stack_by_name(stack_name).template_full_path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR)
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="CDK context, e.g. -c profile=cn, -c domain_name=desk.example.com -c certificate_arn=arn:aws:acm:...")
    args = parser.parse_args(argv)
    context = dict(item.split("=", 1) for item in args.context)
    print(synth(args.outdir, args.stack_name, context))


if __name__ == "__main__":
    main()
