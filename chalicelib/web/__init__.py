"""Residents' pages: Jinja2 templates (autoescaped), zh-CN / en message catalogues and
the one stylesheet. Imported only by the page routes on first use, never by app.py, so
jinja2 and babel stay out of the cold start of JSON routes.

Catalogues are the ``.po`` files under ``i18n/``; they are read with Babel at first use
(no compiled ``.mo`` to keep in step). English is the source language: its msgids are
the English text, so ``en`` needs no catalogue.

The Lambda package carries both already compiled (``compile_pages``, run by
infra/lambda_package.py with the packaged Jinja2 and Babel): templates as Python modules for
Jinja's ``ModuleLoader`` and catalogues as JSON, under ``_compiled/``. A checkout has no
``_compiled/`` and reads the sources, so there is nothing to keep in step by hand.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
COMPILED = HERE / "_compiled"  # only in the Lambda package (compile_pages)
LANGS = ("zh-CN", "en")
BABEL_LOCALE = {"zh-CN": "zh_Hans_CN", "en": "en"}


# --- catalogues --------------------------------------------------------------------------

@lru_cache(maxsize=None)
def catalogue(lang: str, console: bool = False) -> dict[str, str]:
    """messages.po (residents' pages); for the console also one console_<area>.po per area,
    so a resident's first page parses only its own catalogue."""
    if lang == "en":
        return {}
    compiled = COMPILED / f"catalogue-{lang}{'-console' if console else ''}.json"
    if compiled.is_file():
        import json
        return json.loads(compiled.read_text(encoding="utf-8"))
    from babel.messages.pofile import read_po
    folder = HERE / "i18n" / lang.replace("-", "_") / "LC_MESSAGES"
    messages: dict[str, str] = {}
    for path in sorted(folder.glob("*.po") if console else [folder / "messages.po"]):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang.replace("-", "_"))
        messages.update({m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string})
    return messages


class Translations:
    """The gettext interface jinja2's i18n extension wants, over a plain dict."""

    def __init__(self, lang: str, console: bool = False) -> None:
        self.messages = catalogue(lang, console)

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def gettext(lang: str, message: str, console: bool = False) -> str:
    return catalogue(lang, console).get(message) or message


# --- language ----------------------------------------------------------------------------

def _known(tag: str | None) -> str | None:
    tag = (tag or "").strip().lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def locale(value: str | None) -> str | None:
    """``value`` if it is exactly one of our locales (``LANGS``, case as written there), else
    None: the allow-list for every ``lang`` read from a query, form or cookie before it is
    put in a URL, a header or a cookie."""
    return value if isinstance(value, str) and value in LANGS else None


def choose_language(query_lang: str | None, accept_language: str | None, default: str | None) -> str:
    """``?lang=`` first, then the browser's Accept-Language (by q), then the firm's locale."""
    chosen = _known(query_lang)
    if chosen:
        return chosen
    ranked = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > 0:
            ranked.append((-q, i, tag))
    for _, _, tag in sorted(ranked):
        if _known(tag):
            return _known(tag)  # type: ignore[return-value]
    return _known(default) or "zh-CN"


def localized(names: dict | str | None, lang: str, fallback: str = "") -> str:
    """A name given as {"zh-CN": ..., "en": ...}, in ``lang`` or whatever there is."""
    if isinstance(names, str):
        return names
    if not names:
        return fallback
    return names.get(lang) or names.get("en") or names.get("zh-CN") or next(iter(names.values()), fallback)


def format_time(iso: str | None, lang: str, time_zone: str) -> str:
    if not iso:
        return ""
    from babel.dates import format_datetime
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    try:
        zone = ZoneInfo(time_zone)
    except Exception:  # noqa: BLE001 - a bad zone name must not break a resident's page
        zone = ZoneInfo("UTC")
    return format_datetime(moment, "medium", tzinfo=zone, locale=BABEL_LOCALE[lang])


def format_span(start_iso: str | None, end_iso: str | None, lang: str) -> str:
    """'within 30 minutes' style text for a promise made at start."""
    if not start_iso or not end_iso:
        return ""
    from babel.dates import format_timedelta
    start = datetime.fromisoformat(start_iso.replace("Z", "+00:00"))
    end = datetime.fromisoformat(end_iso.replace("Z", "+00:00"))
    return format_timedelta(end - start, threshold=1.5, locale=BABEL_LOCALE[lang])


# --- static ------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def stylesheet() -> str:
    return (HERE / "static" / "app.css").read_text(encoding="utf-8")


def stylesheet_version() -> str:
    return hashlib.sha256(stylesheet().encode()).hexdigest()[:10]


@lru_cache(maxsize=1)
def console_stylesheet() -> str:
    """The residents' stylesheet plus console.css and any console-<area>.css."""
    parts = [stylesheet(), (HERE / "static" / "console.css").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in sorted((HERE / "static").glob("console-*.css"))]
    return "\n".join(parts)


def console_stylesheet_version() -> str:
    return hashlib.sha256(console_stylesheet().encode()).hexdigest()[:10]


# --- rendering ---------------------------------------------------------------------------

def _environment(loader):
    import jinja2
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,  # every template is HTML: all user text is escaped
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True, lstrip_blocks=True,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined] - how {% trans %} compiles, in both languages
    return env


@lru_cache(maxsize=None)
def environment(lang: str, console: bool = False):
    import jinja2
    source = jinja2.FileSystemLoader(str(HERE / "templates"))
    env = _environment(jinja2.ModuleLoader(str(COMPILED)) if COMPILED.is_dir() else source)
    env.install_gettext_translations(Translations(lang, console), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=lang, css_version=stylesheet_version(), localized=localized)
    if console:
        env.globals["console_css_version"] = console_stylesheet_version()
    return env


def compile_pages(target: Path = COMPILED) -> int:
    """Compile every template into a Python module (Jinja's ``ModuleLoader`` layout) and every
    catalogue into JSON, under ``target``; returns the number of templates. For the package."""
    import json

    import jinja2

    target.mkdir(parents=True, exist_ok=True)
    env = _environment(jinja2.FileSystemLoader(str(HERE / "templates")))
    env.compile_templates(str(target), extensions=["html"], zip=None, ignore_errors=False)
    for lang in LANGS:
        for console in (False, True):
            if lang != "en":
                (target / f"catalogue-{lang}{'-console' if console else ''}.json").write_text(
                    json.dumps(catalogue(lang, console), ensure_ascii=False), encoding="utf-8")
    return len(env.list_templates(extensions=["html"]))


def render(template: str, lang: str, **context: Any) -> str:
    """Console templates (console/...) render with the console's catalogues and stylesheet."""
    return environment(lang, template.startswith("console/")).get_template(template).render(**context)
