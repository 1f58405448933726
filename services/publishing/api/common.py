"""Publishing's blueprints and what its views share (settings, the optional caller, the actor's name)."""
from __future__ import annotations

from flask import request

from shared.auth import Principal, current_principal
from shared.web import ServiceBlueprint, context

publications_blp = ServiceBlueprint("publications", __name__, url_prefix="/v1/publications",
                                    description="Published results (Ergebnisse) and drafts for the office.")
members_blp = ServiceBlueprint("members", __name__, url_prefix="/v1/members",
                               description="Members of the network: municipalities and partner organisations.")
subscriptions_blp = ServiceBlueprint("subscriptions", __name__, url_prefix="/v1/subscriptions",
                                     description="Subscriptions to results by topic, with double opt-in.")
newsletters_blp = ServiceBlueprint("newsletters", __name__, url_prefix="/v1/newsletters",
                                   description="Newsletters with published results, sent by the worker.")
notices_blp = ServiceBlueprint("notices", __name__, url_prefix="/v1",
                               description="Decision letters to the applicants, reviewed by the office.")
enquiries_blp = ServiceBlueprint("enquiries", __name__, url_prefix="/v1/enquiries",
                                 description="Requests for more information about Netzwerk vor Ort.")

OPTIONAL_TOKEN: list[dict] = [{}, {"bearerAuth": []}]


def settings():
    return context().options


def optional_principal() -> Principal | None:
    """The caller if a token was sent (an invalid one is still a 401); None for anonymous callers."""
    return current_principal() if request.headers.get("Authorization") else None


