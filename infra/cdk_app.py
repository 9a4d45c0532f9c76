"""The CDK app of PropDesk (``cdk deploy --app "python infra/cdk_app.py"``).

Named ``cdk_app.py``, not ``app.py``, so that it can never shadow the Chalice ``app.py`` at the
repo root: ``chalice package`` (run by ``chalice.cdk.Chalice``) imports a module called ``app``.

Context: ``-c stack_name=PropDesk-prod`` deploys a second, independent copy.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# jsii prints a banner on node versions it no longer supports; must be set before aws_cdk loads.
# The value is a comma-separated list of node MAJOR versions to silence ("1" silences nothing).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

INFRA_DIR = Path(__file__).resolve().parent
if str(INFRA_DIR) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR))

import aws_cdk as cdk  # noqa: E402

from stack import REPO_ROOT, PropDeskStack  # noqa: E402

DEFAULT_STACK_NAME = "PropDesk"


@contextmanager
def isolated_build() -> Iterator[None]:
    """Run a synth without leaving traces in the caller's process or the repo.

    * ``chalice.cdk.Chalice`` writes its package to ``./chalice.out``: work in a temp dir
      (kept until the assembly is written, which copies the deployment zip as an asset).
    * ``chalice package`` imports ``app.py`` with the stage's environment variables put into
      ``os.environ`` (CDK tokens such as ``${Token[TOKEN.12]}``): restore the environment and
      forget the ``app``/``chalicelib`` modules imported on the way, so that tests running in
      the same process import them afresh.
    * ``chalice package`` needs a region; default to us-east-1 (the template itself is
      region-agnostic).
    """
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_modules = set(sys.modules)
    saved_path = list(sys.path)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with tempfile.TemporaryDirectory(prefix="propdesk-cdk-") as workdir:
        os.chdir(workdir)
        try:
            yield
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            for name in set(sys.modules) - saved_modules:
                if name == "app" or name == "chalicelib" or name.startswith("chalicelib."):
                    del sys.modules[name]
            sys.path[:] = saved_path


def build_app(outdir: str | Path | None = None, stack_name: str | None = None) -> cdk.App:
    """The CDK app with the PropDesk stack (call inside ``isolated_build()``)."""
    outdir = outdir or os.environ.get("CDK_OUTDIR")  # set by the cdk CLI
    app = cdk.App(outdir=str(Path(outdir).resolve())) if outdir else cdk.App()
    stack_name = stack_name or app.node.try_get_context("stack_name") or DEFAULT_STACK_NAME
    PropDeskStack(
        app, stack_name,
        source_dir=REPO_ROOT,
        description="PropDesk: multi-tenant service desk (Chalice API, DynamoDB, Cognito)",
    )
    return app


def main() -> None:
    # Resolve a relative CDK_OUTDIR before isolated_build() changes the working directory.
    outdir = os.environ.get("CDK_OUTDIR")
    outdir = Path(outdir).resolve() if outdir else None
    with isolated_build():
        build_app(outdir).synth()


if __name__ == "__main__":
    main()
