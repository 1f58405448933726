"""The overview: every call with its stage and counts, and the charts for one call."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.admin.views import figures
from services.admin.views.common import Tolerant, services

bp = Blueprint("dashboard", __name__)

STAGES = (
    ("draft", _l("draft")),
    ("open", _l("open")),
    ("review", _l("in review")),
    ("decided", _l("decided")),
    ("workshops", _l("workshops")),
    ("published", _l("results published")),
)
STAGE_LABELS = dict(STAGES)


@dataclass
class CallLine:
    """One call on the overview. `received` counts every application the call took in (withdrawn ones
    too), so a decided call never shows fewer applications than it received."""
    call: dict
    received: int | None = None
    withdrawn: int | None = None
    selected: int | None = None  # None until the decision is recorded
    not_selected: int | None = None
    selection: dict | None = None
    workshops: list = field(default_factory=list)
    workshops_known: bool = False
    results_published: int = 0
    stage: str = "draft"

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def applications(self) -> int | None:
        """Applications still in the running (received minus withdrawn)."""
        if self.received is None or self.withdrawn is None:
            return None
        return self.received - self.withdrawn

    @property
    def decided(self) -> int | None:
        if self.selected is None:
            return None
        return self.selected + (self.not_selected or 0)

    @property
    def workshops_done(self) -> int:
        return sum(1 for w in self.workshops if w.get("status") == "completed")

    @property
    def workshops_active(self) -> int:
        return sum(1 for w in self.workshops if w.get("status") != "cancelled")


def call_stage(call: dict, selection: dict | None, workshops: list, results_published: int) -> str:
    """Where a call stands, from the answers of the four services."""
    if call.get("status") == "draft":
        return "draft"
    if call.get("status") == "open":
        return "open"
    if results_published:
        return "published"
    if any(w.get("status") in ("scheduled", "completed") for w in workshops):
        return "workshops"
    if (selection or {}).get("decided"):
        return "decided"
    return "review"


def gather(ask: Tolerant) -> tuple[list[CallLine], list | None]:
    svc = services()
    calls = ask("applications", lambda: svc.applications.all("/v1/calls"), default=None)
    publications = ask("publishing", lambda: svc.publishing.all("/v1/publications"), default=None)
    published_sources = {p.get("source_id") for p in publications or [] if p.get("status") == "published"}
    lines = []
    for call in calls or []:
        line = CallLine(call)
        call_id = call["id"]
        line.received = ask("applications", lambda: svc.applications.total(f"/v1/calls/{call_id}/applications"))
        line.withdrawn = ask("applications", lambda: svc.applications.total(
            f"/v1/calls/{call_id}/applications", status="withdrawn"))
        if call.get("status") != "draft":
            line.selection = ask("selection", lambda: svc.selection.get(f"/v1/calls/{call_id}"))
            if (line.selection or {}).get("decided"):
                decision = ask("selection", lambda: svc.selection.get_or_none(f"/v1/calls/{call_id}/decision"))
                if decision:
                    line.selected = len(decision.get("selected") or [])
                    line.not_selected = len(decision.get("not_selected") or [])
            found = ask("workshops", lambda: svc.workshops.all("/v1/workshops", call_id=call_id))
            line.workshops_known = found is not None
            line.workshops = found or []
        # The programme's results are the workshops' results; the published selection alone is not.
        line.results_published = sum(1 for w in line.workshops if w.get("id") in published_sources)
        line.stage = call_stage(call, line.selection, line.workshops, line.results_published)
        lines.append(line)
    return lines, publications


# Which call the charts show unless the office picks one: the one where the work is now.
FOCUS_ORDER = ("review", "decided", "workshops", "open", "published", "draft")


def focus_of(lines: list[CallLine], wanted: str | None) -> CallLine | None:
    for line in lines:
        if line.call["id"] == wanted:
            return line
    if not lines:
        return None
    return min(lines, key=lambda line: FOCUS_ORDER.index(line.stage))


@bp.get("/")
def index():
    ask = Tolerant()
    svc = services()
    lines, publications = gather(ask)
    focus = focus_of(lines, request.args.get("call"))
    charts = {}
    if focus is not None:
        call_id, title = focus.call["id"], focus.call["title"]
        applications = ask("applications", lambda: svc.applications.all(
            f"/v1/calls/{call_id}/applications", status="submitted"), default=[])
        charts["size_classes"] = figures.applications_by_size_class("chart-size-classes", applications, title)
        if focus.selection is not None:
            ranking = ask("selection", lambda: svc.selection.get(f"/v1/calls/{call_id}/ranking"))
            decision = ask("selection", lambda: svc.selection.get_or_none(f"/v1/calls/{call_id}/decision")) \
                if focus.selection.get("decided") else None
            if decision:
                chosen, word = set(decision.get("selected") or []), _("selected")
            else:
                proposal = ask("selection", lambda: svc.selection.get(f"/v1/calls/{call_id}/proposal"))
                chosen = {e["application_id"] for e in (proposal or {}).get("selected", [])}
                word = _("proposed")
            if ranking is not None:
                charts["ranking"] = figures.ranking_chart("chart-ranking", ranking.get("entries", []), chosen, word)
        charts["registrations"] = figures.registrations_chart("chart-registrations", focus.workshops)
    known = "applications" not in ask.down
    totals = {  # None: not known while a service is down (shown as a dash, not as a misleading 0)
        "open_calls": sum(1 for line in lines if line.stage == "open") if known else None,
        "applications": sum(line.received or 0 for line in lines) if known else None,
        "in_review": sum(1 for line in lines if line.stage == "review") if known and "selection" not in ask.down
        else None,
        "workshops": sum(line.workshops_active for line in lines) if known and "workshops" not in ask.down
        else None,
        "drafts": sum(1 for p in publications or [] if p.get("status") == "draft") if publications is not None
        else None,
    }
    return render_template("dashboard.html", title=_("Overview"), section="dashboard", lines=lines, focus=focus,
                           charts=charts, totals=totals, stages=STAGES, notices=ask.notices,
                           calls_known=known)
