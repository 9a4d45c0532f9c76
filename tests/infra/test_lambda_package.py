"""The Lambda package as deployed (issue 19): built as the CDK app builds it, it carries bytecode
for every module, compiled for the runtime's Python, and it runs the way Lambda runs it — from a
read-only folder, with no site-packages and nothing written — with boto3 taken from the runtime.
Its pages come from precompiled templates and catalogues and read exactly as the sources do."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import lambda_package
from infra.lambda_package import pyc_name, requirements_for

REQUIREMENTS = """pynamodb>=6.0,<7
# a comment line
jinja2>=3.1,<4
aliyun-thing>=1  # only: cn aliyun
tencent-thing>=1  # only: cn tencent
argon2-cffi>=23.1,<26  # only: cn
"""


def test_each_profile_packages_only_what_it_uses():
    assert requirements_for(REQUIREMENTS, "global").split() == ["pynamodb>=6.0,<7", "jinja2>=3.1,<4"]
    assert requirements_for(REQUIREMENTS, "cn", "aliyun").split() == [
        "pynamodb>=6.0,<7", "jinja2>=3.1,<4", "aliyun-thing>=1", "argon2-cffi>=23.1,<26"]
    assert requirements_for(REQUIREMENTS, "cn", "tencent").split() == [
        "pynamodb>=6.0,<7", "jinja2>=3.1,<4", "tencent-thing>=1", "argon2-cffi>=23.1,<26"]


def test_what_is_trimmed_and_what_is_kept():
    trimmed = lambda_package._trim_reason  # noqa: SLF001 - the rule itself, on names chosen here
    for name in ("babel/locale-data/fr.dat", "botocore/data/s3/2006-03-01/service-2.json.gz",
                 "botocore-1.35.0.dist-info/METADATA", "certifi/tests/test_certify.py", "yaml/_yaml.cpython-311.so",
                 "multidict/_multidict.pyi", "aws_lambda_powertools/utilities/parser/models/s3.py",
                 "aws_lambda_powertools/event_handler/api_gateway.py", "jinja2-3.1.4.dist-info/RECORD",
                 "holidays/locale/zh_CN/LC_MESSAGES/CN.mo"):
        assert trimmed(name), name
    for name in ("app.py", "chalicelib/api/tests.py", "chalicelib/web/i18n/zh_CN/LC_MESSAGES/messages.po",
                 "babel/locale-data/zh_Hans_CN.dat", "babel/locale-data/root.dat", "babel/global.dat",
                 "aws_lambda_powertools/utilities/jmespath_utils/__init__.py", "yaml/__init__.py",
                 "holidays/countries/china.py", "jinja2-3.1.4.dist-info/METADATA"):
        assert trimmed(name) is None, name


def test_finishing_a_package_is_deterministic(tmp_path):
    for n in (1, 2):
        source = tmp_path / f"{n}.zip"
        with zipfile.ZipFile(source, "w") as archive:
            archive.writestr("app.py", "ANSWER = 42\n")
            archive.writestr("lib/__init__.py", "")
            archive.writestr("lib/tests/test_x.py", "assert False\n")
        lambda_package.finish(source)
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()
    assert sorted(zipfile.ZipFile(tmp_path / "1.zip").namelist()) == sorted(
        ["app.py", pyc_name("app.py"), "lib/__init__.py", pyc_name("lib/__init__.py")])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict, lambda_package.Report]:
    zip_path, sam_path, report = lambda_package.build(tmp_path_factory.mktemp("package"))
    return zip_path, json.loads(sam_path.read_text()), report


@pytest.fixture(scope="module")
def task(built, tmp_path_factory) -> Path:
    """The package unzipped into a read-only folder, as /var/task is."""
    folder = tmp_path_factory.mktemp("task")
    zipfile.ZipFile(built[0]).extractall(folder)
    for path in folder.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_every_module_ships_with_bytecode_for_the_runtimes_python(built):
    zip_path, sam, report = built
    names = set(zipfile.ZipFile(zip_path).namelist())
    sources = {n for n in names if n.endswith(".py")}
    assert sources and {pyc_name(s) for s in sources} <= names
    assert report.pyc_files == report.py_files == len(sources)
    runtimes = {r["Properties"]["Runtime"] for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Function"}
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}
    with zipfile.ZipFile(zip_path) as archive:
        for source in ("app.py", "chalicelib/api/pages.py", "jinja2/environment.py"):
            header = archive.read(pyc_name(source))[:8]
            assert header[:4] == importlib.util.MAGIC_NUMBER  # this Python's bytecode, the runtime's minor version
            assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source never checked


def test_the_package_is_trimmed(built):
    zip_path, _, report = built
    names = zipfile.ZipFile(zip_path).namelist()
    assert not [n for n in names if n.split("/")[0] in ("boto3", "botocore", "s3transfer")]
    assert sorted(Path(n).stem for n in names if n.startswith("babel/locale-data/") and n.endswith(".dat")) == [
        "en", "root", "zh", "zh_Hans", "zh_Hans_CN"]
    assert not [n for n in names if "/tests/" in n and not n.startswith("chalicelib/")]
    assert "chalicelib/_bundled/templates/prc-residential.yaml" in names
    assert report.unzipped_bytes <= 40e6


RUN_AS_LAMBDA = """
import sys
sys.path[:0] = [{task!r}, {runtime!r}]
import app
from chalicelib.api import pages
from chalicelib.domain.calendar import country_days
from chalicelib.web import format_time
print(format_time("2026-02-17T02:30:00Z", "zh-CN", "Asia/Shanghai"))
print(format_time("2026-02-17T02:30:00Z", "en", "Europe/London"))
closed, makeup = country_days("CN", [2026])  # from the table (domain/holidays.json)
print(len(closed), len(makeup))
assert country_days("GB-SCT", [2026])[0]  # a subdivision no standards document names: the trimmed library
for code in ("CN", "GB", "HK", "SG", "US"):  # a year beyond holidays.json: the library, its other countries trimmed
    assert country_days(code, [2050])[0], code
import io
from openpyxl import Workbook  # the units import from an Excel file (domain/register_files.py)
from chalicelib.domain.register_files import read_units
from chalicelib.api.console.uploads import parse_multipart
book = Workbook()
book.active.append(["楼栋", "房号"])
book.active.append(["3号楼", 1203])
out = io.BytesIO()
book.save(out)
assert read_units(out.getvalue(), "xlsx") == [{{"building": "3号楼", "code": "1203", "floor": None}}]
form = parse_multipart("multipart/form-data; boundary=b", b'--b\\r\\nContent-Disposition: form-data; name="csv"\\r\\n\\r\\nx\\r\\n--b--\\r\\n')
assert form == {{"csv": "x"}}, form
import yaml
print(yaml.safe_load("a: [1, 2]"))
from aws_xray_sdk.core import patch  # what the Tracer does in Lambda: patch botocore from the trimmed SDK
patch(("botocore",))
loaded = sorted({{m.split(".")[0] for m in sys.modules if getattr(sys.modules[m], "__file__", None)
                 and sys.modules[m].__file__.startswith({task!r})}})
print(",".join(loaded))
import json
from chalicelib import web
context = json.loads({context!r})
print(json.dumps({{"loader": type(web.environment("zh-CN").loader).__name__,
                  "pages": {{lang: pages.render_form("bench", lang, context, pages.flat_values({{}}))
                            for lang in ("zh-CN", "en")}},
                  "catalogue": web.catalogue("zh-CN", True)}}))
"""


def test_the_package_runs_as_lambda_runs_it(task, tmp_path):
    """From the read-only folder, without site-packages, writing nothing: the app imports, Babel
    formats both languages, the Chinese holiday calendar loads, YAML parses."""
    import boto3

    runtime = tmp_path / "runtime"  # what the Lambda runtime provides: boto3 and botocore
    runtime.mkdir()
    site = Path(boto3.__file__).resolve().parents[1]
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        (runtime / name).symlink_to(site / name)
    from bench.lambda_package import form_context
    from chalicelib import web
    from chalicelib.api import pages

    context = form_context()
    code = RUN_AS_LAMBDA.format(task=str(task), runtime=str(runtime), context=json.dumps(context))
    done = subprocess.run([sys.executable, "-B", "-S", "-c", code],
                          cwd=task, capture_output=True, text=True, timeout=120,
                          env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    zh, en, days, parsed, loaded, compiled = done.stdout.strip().splitlines()
    # CLDR's medium date-time in each language (the narrow no-break space before AM is CLDR's)
    assert zh == "2026年2月17日 10:30:00" and en == "Feb 17, 2026, 2:30:00\u202fAM"
    # The State Council's 2026 schedule: 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7
    # = 33 days closed; make-up working days (调休) 1-4, 2-14, 2-28, 5-9, 9-20, 10-10 = 6.
    assert days == "33 6"
    assert parsed == "{'a': [1, 2]}"
    assert {"app", "chalicelib", "babel", "holidays", "yaml"} <= set(loaded.split(","))
    assert not list(task.rglob("__pycache__/*.pyc.*"))  # nothing written beside the package's bytecode
    # The package's pages come from templates and catalogues compiled at packaging; they must
    # read exactly as the sources render them here.
    compiled = json.loads(compiled)
    assert compiled["loader"] == "ModuleLoader"
    assert compiled["catalogue"] == web.catalogue("zh-CN", True)
    for lang in ("zh-CN", "en"):
        assert compiled["pages"][lang] == pages.render_form("bench", lang, context, pages.flat_values({}))
    assert "绿苑物业" in compiled["pages"]["zh-CN"] and "Report a problem" in compiled["pages"]["en"]


def test_the_bytecode_is_used_without_reading_the_source(task, tmp_path):
    """An unchecked-hash pyc is loaded without looking at its source: a copy of the package whose
    app.py no longer compiles still imports, from the bytecode."""
    import shutil

    copy = tmp_path / "task"
    shutil.copytree(task, copy / "x", symlinks=True)
    (copy / "x" / "app.py").chmod(0o644)
    (copy / "x" / "app.py").write_text("this is not Python\n")
    probe = ("import sys; sys.path[:0] = [%r]; import importlib.util; "
             "spec = importlib.util.find_spec('app'); print('Chalice' in spec.loader.get_code('app').co_names)"
             ) % str(copy / "x")
    done = subprocess.run([sys.executable, "-B", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
