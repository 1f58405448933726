"""The panel, the default criteria and the balance rule."""
from __future__ import annotations

from flask.views import MethodView

from services.selection import handlers
from services.selection.api.common import READERS, criteria_blp, dispatch, on_panel, panel_blp, panel_view, rule_view
from services.selection.domain import SCORE_MAX, SCORE_MIN, default_criteria
from services.selection.schemas import (
    BalanceRulePutSchema,
    BalanceRuleSchema,
    CriteriaDefaultsSchema,
    PanelPutSchema,
    PanelSchema,
)
from shared.auth import require_role, roles_required
from shared.errors import NotFound
from shared.web import read


# --- panel, criteria, balance rule ---------------------------------------------------------------
@criteria_blp.route("/defaults")
class DefaultCriteria(MethodView):
    @roles_required(*READERS)
    @criteria_blp.response(200, CriteriaDefaultsSchema)
    def get(self):
        """The default criteria for strategy calls, used when a panel is set without criteria."""
        require_role(*READERS)
        return {"criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in default_criteria()],
                "scale": {"min": SCORE_MIN, "max": SCORE_MAX, "whole_numbers": True}}


@panel_blp.route("/<call_id>/panel")
class PanelItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @panel_blp.response(200, PanelSchema)
    def get(self, call_id):
        """The steering group of the call and its criteria (e-mail addresses for the office only)."""
        principal = require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            panel = uow.panels.get(call_id)
            if panel is None:
                raise NotFound("The steering group of this call has not been set yet.", field="panel")
            return panel_view(call_id, panel, principal)

        return read(fetch)

    @roles_required("staff")
    @panel_blp.arguments(PanelPutSchema)
    @panel_blp.response(200, PanelSchema)
    @panel_blp.alt_response(409, description="Decided; or a change would orphan reviews or change scored criteria.")
    def put(self, body, call_id):
        """Set the steering group: members, criteria (default ones when omitted) and quorum (staff)."""
        principal = require_role("staff")
        panel = dispatch(handlers.SetPanel(call_id=call_id, members=body["members"], criteria=body.get("criteria"),
                                           quorum=body["quorum"], actor=principal.actor))
        return panel_view(call_id, panel, principal)


@panel_blp.route("/<call_id>/balance-rule")
class BalanceRuleItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @panel_blp.response(200, BalanceRuleSchema)
    def get(self, call_id):
        """The balance rule of the call; by default at least one small, one medium and one large town."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            rule, explicit = handlers.rule_for(uow, call_id)
            return rule_view(call_id, rule, not explicit)

        return read(fetch)

    @roles_required("staff")
    @panel_blp.arguments(BalanceRulePutSchema)
    @panel_blp.response(200, BalanceRuleSchema)
    @panel_blp.alt_response(409, description="The decision has been recorded.")
    def put(self, body, call_id):
        """Set the balance rule (staff): minimum and maximum places per size class; `{}` for none."""
        principal = require_role("staff")
        dispatch(handlers.SetBalanceRule(call_id=call_id, minimum=body["minimum"], maximum=body["maximum"],
                                         actor=principal.actor))
        return read(lambda uow: rule_view(call_id, uow.balance_rules.get(call_id), False))
