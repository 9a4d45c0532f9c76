"""The Lambda package as it is deployed: what ``chalice package`` builds, trimmed and byte-compiled.

``chalice package`` zips app.py, chalicelib/ and every dependency of requirements.txt, as
sources only. Lambda's ``/var/task`` is read-only, so without bytecode in the zip every cold
start compiles every module it imports (issue 19: 4.1 × ``import boto3``). ``finish`` rewrites
that zip in place, before the CDK app turns it into an asset:

* **trimmed** (``TRIM``): Babel's data for the two locales PropDesk speaks (not ~750), no tests,
  docs, C/Cython sources, type stubs or install-time leftovers of dependencies, and no botocore:
  boto3 and botocore come from the Lambda runtime, as one pair (see ``RUNTIME_PROVIDED``);
* **byte-compiled** for the runtime's Python (the version ``chalice package`` targets, which is the
  building interpreter's), ``unchecked-hash`` pycs: the loader never stats a source to validate them;
* **deterministic**: entries sorted, one fixed timestamp, so an unchanged app is an unchanged asset.

``build`` runs the whole path the CDK app runs (stage the source, ``chalice package``, ``finish``)
into a folder, for the bench and the tests.
"""

from __future__ import annotations

import compileall
import contextlib
import fnmatch
import importlib.util
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: The Chalice stage the CDK app packages (``stack.CHALICE_STAGE`` mirrors it).
STAGE = "dev"

#: Provided by the Lambda Python runtime, so left out of the package. boto3 is never packaged
#: (requirements.txt leaves it out); PynamoDB pulls botocore in, and a packaged botocore would
#: shadow the runtime's, pairing the runtime's boto3 with a botocore it was not released with.
#: Taking both from the runtime keeps them one released pair and drops 25 MB (README: "What the
#: Lambda package carries").
RUNTIME_PROVIDED = ("botocore", "boto3", "s3transfer", "urllib3")

#: Kept even where a pattern of ``TRIM`` matches: PropDesk's own files; Babel's data for ``en`` and
#: ``zh_Hans_CN`` with their parents (``chalicelib.web.BABEL_LOCALE``); the Powertools utilities its
#: Logger, Metrics and Tracer import.
KEEP = ("app.py", "chalicelib/*",
        *(f"babel/locale-data/{name}.dat" for name in ("root", "en", "zh", "zh_Hans", "zh_Hans_CN")),
        "aws_lambda_powertools/utilities/__init__.py", "aws_lambda_powertools/utilities/jmespath_utils/*",
        "aws_lambda_powertools/utilities/typing/*",
        "aws_xray_sdk/ext/__init__.py", "aws_xray_sdk/ext/util.py", "aws_xray_sdk/ext/boto_utils.py",
        "aws_xray_sdk/ext/botocore/*", "aws_xray_sdk/ext/resources/*",
        *(f"holidays/countries/{module}.py" for module in ("china", "united_kingdom", "hongkong", "singapore",
                                                           "united_states")))

#: What replaces ``holidays/countries/__init__.py`` once the other countries are trimmed: the
#: library's own registry (``holidays.registry.EntityLoader``) imports each country's module when
#: it is first asked for; the package's ``__init__`` only re-exported all 250 of them eagerly.
HOLIDAYS_COUNTRIES_INIT = (
    '"""The countries PropDesk\'s standards may name (CN, GB, HK, SG, US), each loaded lazily by\n'
    "holidays.registry: the Lambda package trims the others (infra/lambda_package.py).\"\"\"\n")

#: What the package does not need, as glob patterns on paths inside the zip, with the reason.
TRIM: dict[str, str] = {
    "babel/locale-data/*.dat": "Babel's data for ~1,000 locales: PropDesk speaks en and zh-CN",
    "aws_lambda_powertools/utilities/*": "Powertools utilities PropDesk does not use (it uses Logger, Metrics, Tracer)",
    "aws_lambda_powertools/event_handler/*": "Powertools' API router and Swagger UI (PropDesk's router is Chalice)",
    "holidays/financial/*": "stock-exchange calendars (PropDesk reads countries' public holidays)",
    "holidays/locale/*": "holiday names in ~100 languages: PropDesk reads only the dates (calendar.country_days)",
    "holidays/countries/*": "the holidays library's other ~245 countries: a standards document names only CN, GB, "
                            "HK, SG or US (standards.SUPPORTED_COUNTRIES), the only ones calendar.country_days asks "
                            "the library for (years outside holidays.json); their __init__ is rewritten to load lazily",
    "aws_xray_sdk/ext/*": "X-Ray patches for libraries PropDesk does not use (the Tracer patches botocore only)",
    "yaml/_yaml.*": "the libyaml binding: PropDesk reads YAML with yaml.safe_load, which is pure Python",
    "_yaml/*": "the libyaml binding's shim",
    "*/tests/*": "dependencies' test suites",
    "*/docs/*": "dependencies' documentation",
    "*/_testcapi*": "a test-only extension module (multidict)",
    "*.pyx": "Cython sources (the compiled extension ships)",
    "*.pxd": "Cython declarations",
    "*.pxi": "Cython includes",
    "*.c": "C sources (the compiled extension ships)",
    "*.h": "C headers",
    "*.pyi": "type stubs, read by type checkers only",
    "*.po": "translation sources of dependencies (holidays ships compiled .mo files beside them)",
    "*.dist-info/RECORD": "pip's install record, used only to uninstall",
    "*.data/*": "install-time scripts and man pages of wheels",
    "urllib3/contrib/emscripten/*": "urllib3 for Python in a browser (Pyodide)",
}

#: One timestamp for every entry (the earliest a zip can hold), so equal content zips equally.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class Report:
    """What ``finish`` did to a package, for the bench and the tests."""

    trimmed_files: int = 0
    trimmed_bytes: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    py_files: int = 0
    pyc_files: int = 0
    unzipped_bytes: int = 0
    zip_bytes: int = 0
    templates_compiled: int = 0


def requirements_for(text: str, profile: str, sms_provider: str | None = None) -> str:
    """requirements.txt as packaged for one deployment profile: a line marked ``# only: cn`` (or
    ``# only: cn aliyun``) is kept only when the profile (and the cn SMS provider) is among the
    words after ``only:``. The global package carries no Chinese SMS SDK, argon2 or TOTP; a cn
    package only its own provider's SDK."""
    wanted = {profile, sms_provider or ""}
    kept = []
    for line in text.splitlines():
        requirement, _, comment = line.partition("#")
        if not requirement.strip():
            continue
        only = comment.strip().removeprefix("only:").split() if comment.strip().startswith("only:") else []
        if all(word in wanted for word in only):
            kept.append(requirement.strip())
    return "\n".join(kept) + "\n"


def _trim_reason(name: str) -> str | None:
    top = PurePosixPath(name).parts[0]
    if any(fnmatch.fnmatch(name, keep) for keep in KEEP):
        return None
    if top in RUNTIME_PROVIDED or (top.endswith(".dist-info") and top.split("-")[0] in RUNTIME_PROVIDED):
        return "provided by the Lambda runtime (boto3 and botocore as one pair)"
    for pattern, reason in TRIM.items():
        if fnmatch.fnmatch(name, pattern):
            return reason
    return None


def pyc_name(source: str) -> str:
    """Where the interpreter looks for a module's bytecode: ``a/b.py`` -> ``a/__pycache__/b.cpython-311.pyc``."""
    return importlib.util.cache_from_source(source)


def _compile_pages(root: Path) -> int:
    """The pages' templates compiled to Python modules and their catalogues to JSON
    (``chalicelib.web.compile_pages``), by the packaged Jinja2 and Babel themselves, so the
    first page a resident opens neither parses a template nor a ``.po`` file."""
    if not (root / "chalicelib" / "web" / "__init__.py").is_file():
        return 0
    code = ("import sys; sys.path.insert(0, %r)\nfrom chalicelib.web import compile_pages\nprint(compile_pages())"
            % str(root))
    done = subprocess.run([sys.executable, "-B", "-S", "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"compiling the pages for the package failed:\n{done.stderr[-3000:]}")
    return int(done.stdout.split()[-1])


def finish(zip_path: Path) -> Report:
    """Trim and byte-compile the package at ``zip_path``, in place."""
    zip_path = Path(zip_path)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="propdesk-package-") as work:
        root = Path(work)
        with zipfile.ZipFile(zip_path) as package:
            for info in package.infolist():
                reason = _trim_reason(info.filename)
                if reason:
                    report.trimmed_files += 1
                    report.trimmed_bytes += info.file_size
                    report.by_reason[reason] = report.by_reason.get(reason, 0) + info.file_size
                    continue
                package.extract(info, root)
                mode = info.external_attr >> 16
                if mode:
                    os.chmod(root / info.filename, mode & 0o777 or 0o644)
        countries = root / "holidays" / "countries"
        if countries.is_dir():  # the other countries are trimmed: nothing may import them all
            (countries / "__init__.py").write_text(HOLIDAYS_COUNTRIES_INIT, encoding="utf-8")
        for stale in root.rglob("__pycache__"):  # bytecode from elsewhere would be for another Python
            shutil.rmtree(stale)
        report.templates_compiled = _compile_pages(root)
        # The path recorded in each pyc is where Lambda puts the package, so tracebacks name it.
        ok = compileall.compile_dir(root, ddir="/var/task", quiet=2, workers=1, legacy=False,
                                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        if not ok:
            raise RuntimeError("compileall failed on the Lambda package")
        files = sorted(p for p in root.rglob("*") if p.is_file())
        report.py_files = sum(1 for p in files if p.suffix == ".py")
        report.pyc_files = sum(1 for p in files if p.suffix == ".pyc")
        report.unzipped_bytes = sum(p.stat().st_size for p in files)
        partial = zip_path.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
            for path in files:
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = ((path.stat().st_mode & 0o777) | 0o100000) << 16
                out.writestr(info, path.read_bytes())
        partial.replace(zip_path)
    report.zip_bytes = zip_path.stat().st_size
    return report


def build(output_dir: Path, profile: str = "global", sms_provider: str | None = None) -> tuple[Path, Path, Report]:
    """Build the package as the CDK app does (``cdk_app.stage_source`` -> ``chalice package`` of
    the ``dev`` stage -> ``finish``) into ``output_dir``; returns (deployment.zip, sam.json, report)."""
    from chalice import api

    from chalicelib.settings import SMS_PROVIDERS
    from infra.cdk_app import stage_source

    if profile == "cn":
        sms_provider = sms_provider or SMS_PROVIDERS[0]  # as the CDK app defaults it
    output_dir = Path(output_dir)
    source = stage_source(output_dir / "source", profile, sms_provider)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice package asks botocore for a region
    with contextlib.redirect_stdout(sys.stderr):  # chalice's progress lines, kept out of the bench's JSON
        api.package_app(project_dir=str(source), output_dir=str(output_dir / "package"), stage=STAGE,
                        chalice_config=None)
    zip_path = output_dir / "package" / "deployment.zip"
    return zip_path, output_dir / "package" / "sam.json", finish(zip_path)
