"""The public face of the results, without a token: the results pages and the Atom and JSON feeds.

    GET /results                the published results, newest first (HTML)
    GET /results/<id>           one publication (HTML)

The pages are German; `?lang=en` shows one in English (the office's publications as written), and every page
links to itself in the other language. The address alone names the language (no cookie), so a page is the same
for everyone who opens it and stays cacheable by anyone.
    GET /feeds/results.atom     Atom 1.0 (feedgen)
    GET /feeds/results.json     JSON Feed 1.1
"""
from __future__ import annotations

import json

from flask import Response
from flask.views import MethodView

from services.publishing.domain import publication_tags, publication_url, results_page_url
from services.publishing.feeds import ATOM_FEED_PATH, JSON_FEED_MIMETYPE, JSON_FEED_PATH, atom_feed, json_feed, publication_html
from services.publishing.html import in_language, language_versions, render_page
from services.publishing.schemas import PageLanguageSchema
from shared.web import ServiceBlueprint, context, public

pages_blp = ServiceBlueprint("results", __name__, url_prefix="",
                             description="The public results page and feeds (no token needed).")
FEED_LENGTH = 50


def _published(limit: int = FEED_LENGTH):
    with context().uow_factory() as uow:
        return uow.publications.published(limit)


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@pages_blp.route("/results")
class ResultsPage(MethodView):
    @public
    @pages_blp.doc(security=[])
    @pages_blp.arguments(PageLanguageSchema, location="query")
    @pages_blp.response(200, content_type="text/html")
    def get(self, query):
        """The results page: every published result, newest first (HTML, German or `?lang=en`)."""
        language = query.get("lang", "de")
        base_url = context().options.base_url
        items = [{"pub": pub, "url": in_language(publication_url(base_url, pub.id), language),
                  "tags": publication_tags(pub)} for pub in _published(200)]
        return _html(render_page("results.html", language, items=items,
                                 switch=language_versions(results_page_url(base_url))))


@pages_blp.route("/results/<publication_id>")
class ResultPage(MethodView):
    @public
    @pages_blp.doc(security=[])
    @pages_blp.arguments(PageLanguageSchema, location="query")
    @pages_blp.response(200, content_type="text/html")
    @pages_blp.alt_response(404, description="No published result with this id.")
    def get(self, query, publication_id):
        """One published result (HTML, German or `?lang=en`)."""
        language = query.get("lang", "de")
        with context().uow_factory() as uow:
            pub = uow.publications.get(publication_id)
        switch = language_versions(publication_url(context().options.base_url, publication_id))
        if pub is None or not pub.is_published:
            return _html(render_page("message.html", language, failure="not_found", reason="unpublished",
                                     switch=switch), 404)
        return _html(render_page("publication.html", language, pub=pub, body=publication_html(pub),
                                 tags=publication_tags(pub), switch=switch))


@pages_blp.route(ATOM_FEED_PATH)
class AtomFeed(MethodView):
    @public
    @pages_blp.doc(security=[])
    @pages_blp.response(200, content_type="application/atom+xml")
    def get(self):
        """The published results as an Atom 1.0 feed."""
        body = atom_feed(_published(), context().options.base_url, now=context().bus.clock())
        response = Response(body, mimetype="application/atom+xml")
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


@pages_blp.route(JSON_FEED_PATH)
class JsonFeed(MethodView):
    @public
    @pages_blp.doc(security=[])
    @pages_blp.response(200, content_type=JSON_FEED_MIMETYPE)
    def get(self):
        """The published results as a JSON Feed 1.1."""
        feed = json_feed(_published(), context().options.base_url)
        response = Response(json.dumps(feed, ensure_ascii=False), mimetype=JSON_FEED_MIMETYPE)
        response.headers["Cache-Control"] = "public, max-age=300"
        return response
