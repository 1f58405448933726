"""The public face of the results, without a token: the German results page and the Atom and JSON feeds.

    GET /results                the published results, newest first (HTML)
    GET /results/<id>           one publication (HTML)
    GET /feeds/results.atom     Atom 1.0 (feedgen)
    GET /feeds/results.json     JSON Feed 1.1
Also the small German pages a person sees after following a link from a mail (confirm, unsubscribe).
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import Response, request
from flask.views import MethodView
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.publishing.domain import german_date, publication_tags, publication_url, results_page_url
from services.publishing.feeds import (ATOM_FEED_PATH, JSON_FEED_MIMETYPE, JSON_FEED_PATH, atom_feed,
                                       atom_feed_url, json_feed, json_feed_url, publication_html)
from shared.web import ServiceBlueprint, context

pages_blp = ServiceBlueprint("results", __name__, url_prefix="",
                             description="The public results page and feeds (no token needed).")
FEED_LENGTH = 50

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
        **values)


def wants_html() -> bool:
    """A browser (text/html first in Accept) gets a page; API clients and tools get JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _published(limit: int = FEED_LENGTH):
    with context().uow_factory() as uow:
        return uow.publications.published(limit)


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@pages_blp.route("/results")
class ResultsPage(MethodView):
    @pages_blp.response(200, content_type="text/html")
    def get(self):
        """The results page: every published result, newest first (German HTML)."""
        base_url = context().extras["settings"].base_url
        items = [{"pub": pub, "url": publication_url(base_url, pub.id), "tags": publication_tags(pub)}
                 for pub in _published(200)]
        return _html(render_page("results.html", items=items))


@pages_blp.route("/results/<publication_id>")
class ResultPage(MethodView):
    @pages_blp.response(200, content_type="text/html")
    @pages_blp.alt_response(404, description="No published result with this id.")
    def get(self, publication_id):
        """One published result (German HTML)."""
        with context().uow_factory() as uow:
            pub = uow.publications.get(publication_id)
        if pub is None or not pub.is_published:
            return _html(render_page("message.html", title="Nicht gefunden",
                                     message="Dieses Ergebnis gibt es nicht oder es ist noch nicht veröffentlicht."),
                         404)
        return _html(render_page("publication.html", pub=pub, body=publication_html(pub),
                                 tags=publication_tags(pub)))


@pages_blp.route(ATOM_FEED_PATH)
class AtomFeed(MethodView):
    @pages_blp.response(200, content_type="application/atom+xml")
    def get(self):
        """The published results as an Atom 1.0 feed."""
        body = atom_feed(_published(), context().extras["settings"].base_url, now=context().extras["clock"]())
        response = Response(body, mimetype="application/atom+xml")
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


@pages_blp.route(JSON_FEED_PATH)
class JsonFeed(MethodView):
    @pages_blp.response(200, content_type=JSON_FEED_MIMETYPE)
    def get(self):
        """The published results as a JSON Feed 1.1."""
        feed = json_feed(_published(), context().extras["settings"].base_url)
        response = Response(json.dumps(feed, ensure_ascii=False), mimetype=JSON_FEED_MIMETYPE)
        response.headers["Cache-Control"] = "public, max-age=300"
        return response
