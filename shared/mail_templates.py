"""Mails in the reader's language, written the same way by every service that mails people.

A service keeps its mails in `templates/mail/<language>/<mail>.txt|.html`, one folder per language (`de`,
`en`), each mail written out whole as its reader sees it, with the same files and placeholders in every
folder (`language_mismatches` names what differs; each service's unit test asserts there is nothing). The
HTML frame the mails extend lives beside the folders and is shared; its `lang` is the mail's (`language`
is a global of every template). `MailTemplates.render(template, language=...)` is the one path: it picks
the language's folder, takes the text's first line as the subject after the language's word for it
(`Betreff:`, `Subject:`), and gives the templates the language's filters: `time` (a point in time in Berlin,
`30.11.2026, 14:00 Uhr` / `30 November 2026, 14:00 (Berlin time)`, or written out with `long=True`) and
`date` (`30. November 2026` / `30 November 2026`) and `quoted_list` (`„A“ und „B“` / `“A” and “B”`). A language
the platform does not write is German. Publishing's public pages are written the same way (one folder per
language, `render_part`), so a page and a mail never differ in how they say a thing.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.lists import format_list
from jinja2 import Environment, FileSystemLoader, nodes, select_autoescape

from shared.pages import BERLIN, parse_time

DEFAULT_LANGUAGE = "de"
SUBJECT_WORD = {"de": "Betreff:", "en": "Subject:"}
LANGUAGES = tuple(SUBJECT_WORD)
TIME_PATTERN = {"de": "dd.MM.yyyy, HH:mm 'Uhr'", "en": "d MMMM yyyy, HH:mm '(Berlin time)'"}
LONG_TIME_PATTERN = {"de": "d. MMMM yyyy 'um' HH:mm 'Uhr'", "en": "d MMMM yyyy 'at' HH:mm '(Berlin time)'"}
DATE_PATTERN = {"de": "d. MMMM yyyy", "en": "d MMMM yyyy"}
NO_TIME_YET = {"de": "(Termin folgt)", "en": "(date to follow)"}
QUOTES = {"de": ("„", "“"), "en": ("“", "”")}


def mail_language(language: str | None) -> str:
    """A known mail language, German for anything else (no preference, an unknown code)."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def mail_time(value: object, language: str, *, long: bool = False) -> str:
    """A point in time in Berlin, the way `language` writes it: `30.11.2026, 14:00 Uhr`,
    `30 November 2026, 14:00 (Berlin time)`; with `long`, `30. November 2026 um 14:00 Uhr`,
    `30 November 2026 at 14:00 (Berlin time)`."""
    parsed = parse_time(value)
    if parsed is None:
        return NO_TIME_YET[language]
    pattern = (LONG_TIME_PATTERN if long else TIME_PATTERN)[language]
    formatted: str = format_datetime(parsed, pattern, tzinfo=BERLIN, locale=language)
    return formatted


def mail_date(value: object, language: str) -> str:
    """The day of a point in time in Berlin: `30. November 2026`, `30 November 2026`."""
    parsed = parse_time(value)
    if parsed is None:
        return NO_TIME_YET[language]
    formatted: str = format_datetime(parsed, DATE_PATTERN[language], tzinfo=BERLIN, locale=language)
    return formatted


def quoted_list(items: Iterable[str], language: str) -> str:
    """`„Smart City“ und „Mobilität“`, `“Smart City” and “Mobilität”`."""
    opening, closing = QUOTES[language]
    quoted = [f"{opening}{item}{closing}" for item in items if item]
    return format_list(quoted, locale=language) if quoted else ""


class MailTemplates:
    """The mail templates of one service: `folder` holds `de/`, `en/` and the shared frame; `more` are
    further folders the templates may include from (publishing's `partials/`). `options` go to Jinja."""

    def __init__(self, folder: Path, *more: Path, **options: Any):
        self.folder = folder
        self._environments = {language: self._environment(language, more, options) for language in LANGUAGES}

    def _environment(self, language: str, more: tuple[Path, ...], options: dict[str, Any]) -> Environment:
        search = [str(self.folder / language), str(self.folder), *(str(path) for path in more)]
        settings: dict[str, Any] = {"autoescape": select_autoescape(["html"]), "trim_blocks": True,
                                    "lstrip_blocks": True, **options}
        environment = Environment(loader=FileSystemLoader(search), **settings)
        environment.globals["language"] = language
        environment.filters["time"] = lambda value, long=False: mail_time(value, language, long=long)
        environment.filters["date"] = lambda value: mail_date(value, language)
        environment.filters["quoted_list"] = lambda items: quoted_list(items, language)
        return environment

    def render(self, template: str, *, language: str, **context: Any) -> tuple[str, str, str]:
        """(subject, plain text, HTML) of `<language>/<template>.txt|.html`; the subject is the text's first
        line, after the language's word for it (`Betreff: ...`, `Subject: ...`)."""
        language = mail_language(language)
        environment = self._environments[language]
        text = environment.get_template(f"{template}.txt").render(**context)
        first, _, body = text.partition("\n")
        if not first.startswith(SUBJECT_WORD[language]):
            raise ValueError(f"{language}/{template}.txt does not begin with {SUBJECT_WORD[language]!r}")
        subject = first.removeprefix(SUBJECT_WORD[language]).strip()
        html = environment.get_template(f"{template}.html").render({**context, "subject": subject})
        return subject, body.lstrip("\n"), html

    def render_part(self, template: str, *, language: str, **context: Any) -> str:
        """One template of the language's folder on its own (a piece a service fills in per recipient)."""
        return self._environments[mail_language(language)].get_template(template).render(**context)

    def names(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        """The mails of a language (its templates, not the pieces starting with `_`)."""
        return sorted({path.stem for path in (self.folder / language).iterdir() if not path.stem.startswith("_")})


def placeholders(path: Path) -> set[str]:
    """Every name and dotted attribute a template reads (`workshop.starts_at`, `link`, ...)."""
    tree = Environment().parse(path.read_text(encoding="utf-8"))

    def dotted(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            inner = dotted(node.node)
            return f"{inner}.{node.attr}" if inner else None
        return None
    return {name for node in tree.find_all((nodes.Name, nodes.Getattr)) if (name := dotted(node))}


def language_mismatches(folder: Path) -> list[str]:
    """What keeps the languages' template folders under `folder` from matching: a file one language has and
    another lacks, a template whose placeholders differ from the German one. Empty when they match."""
    problems = []
    files = {language: sorted(path.name for path in (folder / language).iterdir()) for language in LANGUAGES}
    for language in LANGUAGES:
        for name in sorted(set(files[DEFAULT_LANGUAGE]) ^ set(files[language])):
            problems.append(f"{name} is not in every language ({language} differs from {DEFAULT_LANGUAGE})")
        for name in sorted(set(files[DEFAULT_LANGUAGE]) & set(files[language])):
            german, other = placeholders(folder / DEFAULT_LANGUAGE / name), placeholders(folder / language / name)
            if german != other:
                problems.append(f"{language}/{name} reads {sorted(other ^ german)} unlike {DEFAULT_LANGUAGE}/{name}")
    return problems
