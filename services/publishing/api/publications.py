"""Publications and members: the office's views."""
from __future__ import annotations

from dataclasses import asdict

from flask.views import MethodView

from services.publishing import handlers
from services.publishing.api.common import OPTIONAL_TOKEN, members_blp, optional_principal, publications_blp, settings
from services.publishing.domain import Publication, publication_url
from services.publishing.schemas import (
    MemberCreateSchema,
    MemberQuerySchema,
    MemberSchema,
    PublicationQuerySchema,
    PublicationSchema,
    PublicationUpdateSchema,
)
from shared.auth import require_role, roles_required
from shared.errors import NotFound
from shared.web import dispatch, idempotent, public, read


# --- publications --------------------------------------------------------------------------------
def publication_view(pub: Publication) -> dict:
    return {**asdict(pub), "url": publication_url(settings().base_url, pub.id)}


@publications_blp.route("")
class Publications(MethodView):
    @public
    @publications_blp.doc(security=OPTIONAL_TOKEN)
    @publications_blp.arguments(PublicationQuerySchema, location="query")
    @publications_blp.response(200, PublicationSchema(many=True))
    @publications_blp.paginate()
    def get(self, query, pagination_parameters):
        """Published results, newest first (public). With a staff token, drafts are listed too."""
        principal = optional_principal()
        items, total = read(lambda uow: uow.publications.list(
            include_drafts=bool(principal and principal.is_staff), status=query.get("status"),
            kind=query.get("kind"), offset=pagination_parameters.first_item, limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [publication_view(p) for p in items]


@publications_blp.route("/<publication_id>")
class PublicationItem(MethodView):
    @public
    @publications_blp.doc(security=OPTIONAL_TOKEN)
    @publications_blp.response(200, PublicationSchema)
    def get(self, publication_id):
        """One publication: published ones for everyone, drafts for the office."""
        principal = optional_principal()
        pub = read(lambda uow: uow.publications.get(publication_id))
        if pub is None or (not pub.is_published and not (principal and principal.is_staff)):
            raise NotFound(f"No publication {publication_id}.")
        return publication_view(pub)

    @roles_required("staff")
    @publications_blp.arguments(PublicationUpdateSchema)
    @publications_blp.response(200, PublicationSchema)
    @publications_blp.alt_response(409, description="Published results cannot be edited.")
    def patch(self, body, publication_id):
        """Edit a draft (staff): title, summary, body, solution approaches, topic."""
        require_role("staff")
        return publication_view(dispatch(handlers.EditPublication(publication_id, body)))


@publications_blp.route("/<publication_id>/publish")
class PublishPublication(MethodView):
    @roles_required("staff")
    @publications_blp.response(200, PublicationSchema)
    @publications_blp.alt_response(409, description="Already published.")
    def post(self, publication_id):
        """Publish a draft (staff): it appears on the results page and in the feeds; emits ResultsPublished."""
        principal = require_role("staff")
        return publication_view(dispatch(handlers.PublishPublication(publication_id, principal.actor)))


# --- members -------------------------------------------------------------------------------------
@members_blp.route("")
class Members(MethodView):
    @roles_required("staff")
    @members_blp.arguments(MemberQuerySchema, location="query")
    @members_blp.response(200, MemberSchema(many=True))
    @members_blp.paginate()
    def get(self, query, pagination_parameters):
        """The members of the network (staff)."""
        require_role("staff")
        items, total = read(lambda uow: uow.members.list(
            kind=query.get("kind"), offset=pagination_parameters.first_item, limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [asdict(m) for m in items]

    @roles_required("staff")
    @idempotent
    @members_blp.arguments(MemberCreateSchema)
    @members_blp.response(201, MemberSchema)
    @members_blp.alt_response(409, description="A member with this name or AGS exists.")
    def post(self, body):
        """Add a member municipality (with its AGS) or partner organisation, with its contact address (staff)."""
        require_role("staff")
        return asdict(dispatch(handlers.AddMember(**body)))


@members_blp.route("/<member_id>")
class MemberItem(MethodView):
    @roles_required("staff")
    @members_blp.response(200, MemberSchema)
    def get(self, member_id):
        """One member (staff)."""
        require_role("staff")
        member = read(lambda uow: uow.members.get(member_id))
        if member is None:
            raise NotFound(f"No member {member_id}.")
        return asdict(member)

    @roles_required("staff")
    @members_blp.response(204)
    def delete(self, member_id):
        """Remove a member and its contact address (staff); newsletters already sent keep their record."""
        require_role("staff")
        dispatch(handlers.RemoveMember(member_id))
