"""The CDK app of PropDesk (``cdk deploy --app "python infra/cdk_app.py"``).

Named ``cdk_app.py``, not ``app.py``, so that it can never shadow the Chalice ``app.py`` at the
repo root: ``chalice package`` (run by ``chalice.cdk.Chalice``) imports a module called ``app``.

Context: ``-c profile=global|cn`` chooses the deployment profile (default ``global``; ``cn`` for
AWS China: own accounts, SMTP, Alibaba/Tencent Cloud SMS, with ``-c sms_provider=aliyun|tencent``,
``-c smtp_host=... -c smtp_port=...``); ``-c stack_name=PropDesk-prod`` deploys a second,
independent copy; ``-c domain_name=desk.example.com -c certificate_arn=arn:aws:acm:...`` (in China
``arn:aws-cn:acm:cn-northwest-1:...``) serves it at the root of the firm-facing domain (the
pages need that; see ``PropDeskStack._custom_domain``).
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

from stack import REPO_ROOT, SMS_PROVIDERS, PropDeskStack  # noqa: E402

DEFAULT_STACK_NAME = "PropDesk"
DEFAULT_PROFILE = "global"
DESCRIPTIONS = {
    "global": "PropDesk: multi-tenant service desk (Chalice API, DynamoDB, Cognito)",
    "cn": "PropDesk for AWS China: multi-tenant service desk (Chalice API, DynamoDB, own accounts with KMS)",
}


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
      region-agnostic: every ARN carries ``AWS::Partition``, so one ``cn`` template serves
      both China regions).
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


BUNDLED_TEMPLATES = Path("chalicelib") / "_bundled" / "templates"


def stage_source(into: Path, profile: str = DEFAULT_PROFILE, sms_provider: str | None = None) -> Path:
    """Copy what the Lambda package needs into ``into``: app.py, chalicelib/, .chalice/config.json,
    requirements.txt as the profile needs it (``lambda_package.requirements_for``) — and the
    standards templates from tenants/templates, which Chalice would not package (it takes app.py,
    chalicelib/ and vendor/ only). The app looks for them under chalicelib/_bundled/templates first."""
    import shutil

    from infra.lambda_package import requirements_for

    into.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_bundled", "_compiled")
    shutil.copy2(REPO_ROOT / "app.py", into / "app.py")
    (into / "requirements.txt").write_text(
        requirements_for((REPO_ROOT / "requirements.txt").read_text(encoding="utf-8"), profile, sms_provider),
        encoding="utf-8")
    shutil.copytree(REPO_ROOT / "chalicelib", into / "chalicelib", ignore=ignore)
    (into / ".chalice").mkdir(exist_ok=True)
    shutil.copy2(REPO_ROOT / ".chalice" / "config.json", into / ".chalice" / "config.json")
    cache = REPO_ROOT / ".chalice" / "deployments"  # chalice's wheel cache: keep it across synths
    cache.mkdir(parents=True, exist_ok=True)
    (into / ".chalice" / "deployments").symlink_to(cache, target_is_directory=True)
    shutil.copytree(REPO_ROOT / "tenants" / "templates", into / BUNDLED_TEMPLATES, ignore=ignore)
    return into


def build_app(outdir: str | Path | None = None, stack_name: str | None = None,
              context: dict[str, str] | None = None) -> cdk.App:
    """The CDK app with the PropDesk stack (call inside ``isolated_build()``, whose working
    directory is a temporary one: the staged source goes there). ``context`` adds to what
    ``cdk -c key=value`` gives."""
    outdir = outdir or os.environ.get("CDK_OUTDIR")  # set by the cdk CLI
    kwargs: dict = {"context": context} if context else {}
    app = cdk.App(outdir=str(Path(outdir).resolve()), **kwargs) if outdir else cdk.App(**kwargs)
    stack_name = stack_name or app.node.try_get_context("stack_name") or DEFAULT_STACK_NAME
    profile = app.node.try_get_context("profile") or DEFAULT_PROFILE
    sms_provider = app.node.try_get_context("sms_provider")
    if profile == "cn":
        sms_provider = sms_provider or SMS_PROVIDERS[0]
    PropDeskStack(
        app, stack_name,
        source_dir=stage_source(Path(os.getcwd()) / "source", profile, sms_provider),
        domain_name=app.node.try_get_context("domain_name"),
        certificate_arn=app.node.try_get_context("certificate_arn"),
        profile=profile,
        sms_provider=sms_provider,
        smtp_host=app.node.try_get_context("smtp_host"),
        smtp_port=app.node.try_get_context("smtp_port"),
        description=DESCRIPTIONS.get(profile, DESCRIPTIONS[DEFAULT_PROFILE]),
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
