"""Exports for the office: a call's applications, reviews, ranking and decision, the network's members and
the workshop participants, as CSV (for spreadsheets) or JSON.

Personal data: every export is read from the services' APIs with the staff member's own token, so nothing
appears that the services do not show the `staff` role. On top of that each export comes in two variants:
without personal data (the default; fit to pass on, e.g. to the steering group) and with it (contact
persons, panel members' names, members' contacts, participants' names and addresses), which is logged with
the staff member's name. Steering members, municipalities and partners have no admin account and get no
export at all.
"""
from __future__ import annotations

import csv
import io
import json
import logging

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.admin.views.common import services, staff_name

log = logging.getLogger(__name__)
bp = Blueprint("exports", __name__)

DATASETS = {
    "applications": _l("Applications"),
    "reviews": _l("Reviews"),
    "ranking": _l("Ranking"),
    "decision": _l("Decision"),
    "members": _l("Members of the network"),
    "participants": _l("Workshop participants"),
}
# Columns that carry personal data, per dataset: left out unless the export is asked for with them.
PERSONAL = {
    "applications": ("contact_name", "contact_email", "contact_phone"),
    "reviews": ("member_name",),
    "ranking": (),
    "decision": (),
    "members": ("email", "contact_name"),
    "participants": ("name", "email"),
}


def _applications(call_id: str) -> list[dict]:
    rows = []
    for a in services().applications.all(f"/v1/calls/{call_id}/applications"):
        contact = a.get("contact") or {}
        rows.append({
            "application_id": a["id"], "ags": a["municipality"]["ags"], "municipality": a["municipality"]["name"],
            "population": a["municipality"]["population"], "size_class": a["size_class"], "status": a["status"],
            "submitted_at": a["submitted_at"], "withdrawn_at": a.get("withdrawn_at"),
            "focus_areas": ", ".join(a.get("focus_areas") or []), "partners": ", ".join(a.get("partners") or []),
            "statement": a["statement"], "contact_name": contact.get("name"), "contact_email": contact.get("email"),
            "contact_phone": contact.get("phone")})
    return rows


def _names(call_id: str) -> dict:
    ranking = services().selection.get(f"/v1/calls/{call_id}/ranking")
    return {e["application_id"]: e["name"] for e in ranking.get("entries", [])}


def _reviews(call_id: str) -> list[dict]:
    svc = services()
    names = _names(call_id)
    panel = svc.selection.get_or_none(f"/v1/calls/{call_id}/panel") or {}
    members = {m["id"]: m["name"] for m in panel.get("members", [])}
    criteria = [c["key"] for c in panel.get("criteria", [])]
    rows = []
    for r in svc.selection.all(f"/v1/calls/{call_id}/reviews"):
        row = {"application_id": r["application_id"], "municipality": names.get(r["application_id"]),
               "member_id": r["member_id"], "member_name": members.get(r["member_id"]),
               "abstained": r["abstained"], "counts": r["counts"], "weighted_score": r.get("weighted_score")}
        row.update({f"score_{key}": (r.get("scores") or {}).get(key) for key in criteria})
        row.update(comment=r.get("comment"), updated_at=r.get("updated_at"))
        rows.append(row)
    return rows


def _ranking(call_id: str) -> list[dict]:
    entries = services().selection.get(f"/v1/calls/{call_id}/ranking").get("entries", [])
    return [{"rank": e["rank"], "application_id": e["application_id"], "ags": e["ags"], "municipality": e["name"],
             "size_class": e["size_class"], "weighted_mean": e["weighted_mean"], "reviews": e["reviews"],
             "abstentions": e["abstentions"], "spread": e["spread"], "std_dev": e["std_dev"],
             "conflicts": len(e.get("conflicts") or [])} for e in entries]


def _decision(call_id: str) -> list[dict]:
    svc = services()
    decision = svc.selection.get_or_none(f"/v1/calls/{call_id}/decision")
    if decision is None:
        return []
    amendments = svc.selection.get(f"/v1/calls/{call_id}/decision/amendments")
    succeeded = {a["vacated_application_id"]: a for a in amendments}
    successors = {a["successor_application_id"]: a for a in amendments}
    rows = []
    for line in decision.get("ranking", []):
        application_id = line["application_id"]
        if application_id in decision["selected"]:
            outcome = "selected (successor)" if application_id in successors else "selected"
        elif application_id in decision.get("vacated", []) or application_id in succeeded:
            outcome = "withdrew after selection"
        elif application_id in decision["not_selected"]:
            outcome = "not selected"
        else:
            outcome = "withdrawn"
        amendment = successors.get(application_id) or succeeded.get(application_id)
        rows.append({"application_id": application_id, "municipality": line["name"], "rank": line["rank"],
                     "size_class": line["size_class"], "outcome": outcome, "decided_at": decision["decided_at"],
                     "rationale": decision["rationale"], "deviation_reason": decision.get("deviation_reason"),
                     "amended_at": amendment["decided_at"] if amendment else None,
                     "amendment_rationale": amendment["rationale"] if amendment else None})
    return rows


def _members(_call_id: str) -> list[dict]:
    return [{"member_id": m["id"], "name": m["name"], "kind": m["kind"], "ags": m.get("ags"), "email": m.get("email"),
             "contact_name": m.get("contact_name")} for m in services().publishing.all("/v1/members")]


def _participants(call_id: str) -> list[dict]:
    svc = services()
    rows = []
    for w in svc.workshops.all("/v1/workshops", call_id=call_id):
        for r in svc.workshops.all(f"/v1/workshops/{w['id']}/registrations"):
            rows.append({"workshop_id": w["id"], "workshop": w.get("title"), "starts_at": w.get("starts_at"),
                         "registration_id": r["id"], "status": r["status"], "organisation": r.get("organisation"),
                         "participant_type": r.get("participant_type"), "checked_in_at": r.get("checked_in_at"),
                         "name": r.get("name"), "email": r.get("email")})
    return rows


BUILDERS = {"applications": _applications, "reviews": _reviews, "ranking": _ranking, "decision": _decision,
            "members": _members, "participants": _participants}


def without_personal_data(dataset: str, rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in PERSONAL[dataset]} for row in rows]


def _cell(value) -> str:
    """A CSV cell that a spreadsheet never runs as a formula (a leading = + - @ is quoted away)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")  # German spreadsheets read ; as the separator
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return "\ufeff" + out.getvalue()  # a BOM, so that spreadsheets read UTF-8 (umlauts) correctly


@bp.get("/calls/<call_id>/exports")
def index(call_id):
    call = services().applications.get(f"/v1/calls/{call_id}")
    return render_template("exports.html", title=_("Exports: %(title)s", title=call["title"]), section="calls",
                           call=call, datasets=DATASETS, personal=PERSONAL)


@bp.get("/calls/<call_id>/exports/<dataset>.<fmt>")
def download(call_id, dataset, fmt):
    if dataset not in BUILDERS or fmt not in ("csv", "json"):
        abort(404)
    personal = request.args.get("personal") == "1"
    rows = BUILDERS[dataset](call_id)
    if not personal:
        rows = without_personal_data(dataset, rows)
    elif PERSONAL[dataset]:
        log.info("export with personal data", extra={"staff": staff_name(), "dataset": dataset, "call_id": call_id,
                                                     "rows": len(rows)})
    name = f"{dataset}-{call_id[:8]}{'-personenbezogen' if personal else ''}.{fmt}"
    if fmt == "json":
        body = json.dumps({"call_id": call_id, "dataset": dataset, "personal_data": personal, "rows": rows},
                          ensure_ascii=False, indent=2)
        mimetype = "application/json"
    else:
        body, mimetype = to_csv(rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
