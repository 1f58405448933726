"""German HTML for people: the results pages, and the small pages behind the links in mails."""
from __future__ import annotations

from pathlib import Path

from flask import request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.publishing.domain import german_date, results_page_url
from services.publishing.feeds import atom_feed_url, json_feed_url
from shared.config import service_url
from shared.web import context

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["german_date"] = german_date


def render_page(name: str, **values) -> str:
    base_url = context().extras["settings"].base_url
    return _env.get_template(f"pages/{name}").render(
        results_url=results_page_url(base_url), atom_url=atom_feed_url(base_url), json_url=json_feed_url(base_url),
        portal_url=service_url("portal"), **values)


def wants_html() -> bool:
    """A browser (text/html first in Accept) gets a page; API clients and tools get JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
