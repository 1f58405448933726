"""The selection of a call: steering group and criteria, review progress, ranking, proposal, decision.

Reviews are written by the panel members themselves (the selection API takes reviews from steering
tokens only), so the office sees their progress here but does not enter scores on their behalf.
"""
from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (DateTimeLocalField, FieldList, FloatField, Form, FormField, IntegerField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from services.admin.clients import ApiError
from services.admin.views import figures
from services.admin.views.common import (Tolerant, apply_api_errors, format_number, from_wall_time, iso, now_berlin,
                                         publication_of, services, size_class_label)
from shared.municipalities import SIZE_CLASSES

bp = Blueprint("selection", __name__)

WALL_TIME = "%Y-%m-%dT%H:%M"
MEMBER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$"


# --- forms ---------------------------------------------------------------------------------------
class MemberRow(Form):
    id = StringField(_l("Member id"), validators=[Optional(), Regexp(MEMBER_ID, message=_l(
        "Letters, digits and . _ : @ - only."))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter an e-mail address such as name@example.org."))],
        render_kw={"type": "email", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=[("member", _l("member")), ("chair", _l("chair"))], default="member")

    @property
    def blank(self) -> bool:
        return not any((self[name].data or "").strip() for name in ("id", "name", "institution", "email"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.blank:
            return valid
        for name in ("name", "institution", "email"):
            if not (self[name].data or "").strip():
                self[name].errors = list(self[name].errors) + [_("Required for a member.")]
                valid = False
        return valid


class CriterionRow(Form):
    key = StringField(_l("Key"), validators=[Optional(), Regexp(r"^[a-z][a-z0-9_]{0,49}$", message=_l(
        "Lower-case letters, digits and underscores, starting with a letter."))])
    label = StringField(_l("Criterion"), validators=[Optional(), Length(max=200)])
    weight = FloatField(_l("Weight"), validators=[Optional(), NumberRange(min=0.01, max=100)],
                        render_kw={"inputmode": "decimal"})

    @property
    def blank(self) -> bool:
        return not (self.key.data or "").strip() and not (self.label.data or "").strip()


class PanelForm(FlaskForm):
    members = FieldList(FormField(MemberRow), label=_l("Members"), min_entries=1)
    criteria = FieldList(FormField(CriterionRow), label=_l("Criteria"), min_entries=1)
    quorum = IntegerField(_l("Quorum (members present for a decision)"), validators=[Optional(), NumberRange(min=1)])

    def validate_members(self, field):
        if all(row.form.blank for row in field):
            raise ValidationError(_("The steering group needs at least one member."))


class BalanceRuleForm(FlaskForm):
    min_rural = IntegerField(_l("at least (rural municipalities)"), validators=[Optional(), NumberRange(min=0, max=50)])
    min_small = IntegerField(_l("at least (small towns)"), validators=[Optional(), NumberRange(min=0, max=50)])
    min_medium = IntegerField(_l("at least (medium towns)"), validators=[Optional(), NumberRange(min=0, max=50)])
    min_large = IntegerField(_l("at least (big cities)"), validators=[Optional(), NumberRange(min=0, max=50)])
    max_rural = IntegerField(_l("at most (rural municipalities)"), validators=[Optional(), NumberRange(min=0, max=50)])
    max_small = IntegerField(_l("at most (small towns)"), validators=[Optional(), NumberRange(min=0, max=50)])
    max_medium = IntegerField(_l("at most (medium towns)"), validators=[Optional(), NumberRange(min=0, max=50)])
    max_large = IntegerField(_l("at most (big cities)"), validators=[Optional(), NumberRange(min=0, max=50)])


class ConflictForm(FlaskForm):
    member = SelectField(_l("Panel member"), validators=[DataRequired()])
    candidate = SelectField(_l("Candidate"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DecisionForm(FlaskForm):
    selected = MultiCheckboxField(_l("Selected municipalities"))
    present = MultiCheckboxField(_l("Members present"))
    decided_at = DateTimeLocalField(_l("Decided at (meeting of the steering group)"), format=WALL_TIME,
                                    validators=[DataRequired()])
    rationale = TextAreaField(_l("Rationale"), validators=[DataRequired(), Length(max=10_000)])
    deviation_reason = TextAreaField(_l("Reason for departing from the proposal"),
                                     validators=[Optional(), Length(max=10_000)])


class AmendmentForm(FlaskForm):
    successor = RadioField(_l("Successor"), validators=[DataRequired(message=_l("Choose the successor."))])
    present = MultiCheckboxField(_l("Members present"))
    decided_at = DateTimeLocalField(_l("Decided at"), format=WALL_TIME, validators=[DataRequired()])
    rationale = TextAreaField(_l("Rationale"), validators=[DataRequired(), Length(max=10_000)])
    deviation_reason = TextAreaField(_l("Reason for departing from the proposal"),
                                     validators=[Optional(), Length(max=10_000)])


# --- helpers -------------------------------------------------------------------------------------
def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "mitglied"


def load(call_id: str):
    """(selection's view of the call, or None while it has not heard of it; the call from applications)."""
    svc = services()
    call = svc.applications.get(f"/v1/calls/{call_id}")
    known = svc.selection.get_or_none(f"/v1/calls/{call_id}")
    return known, call


def panel_of(call_id: str):
    return services().selection.get_or_none(f"/v1/calls/{call_id}/panel")


def review_matrix(call_id: str, panel: dict | None, candidates: list[dict]):
    """Per member: counted reviews; per candidate and member: the state of that review."""
    svc = services()
    members = (panel or {}).get("members", [])
    reviews = svc.selection.all(f"/v1/calls/{call_id}/reviews") if members else []
    conflicts = svc.selection.all(f"/v1/calls/{call_id}/conflicts") if members else []
    by_pair = {(r["application_id"], r["member_id"]): r for r in reviews}
    conflicted = {(c["application_id"], c["member_id"]) for c in conflicts}
    rows = []
    per_member = {m["id"]: {"done": 0, "expected": 0} for m in members}
    for candidate in candidates:
        cells = []
        for member in members:
            pair = (candidate["application_id"], member["id"])
            review = by_pair.get(pair)
            if pair in conflicted:
                cells.append(("conflict", _("conflict of interest")))
                continue
            per_member[member["id"]]["expected"] += 1
            if review is None:
                cells.append(("missing", _("open")))
            elif review.get("abstained"):
                per_member[member["id"]]["done"] += 1
                cells.append(("abstained", _("abstained")))
            else:
                per_member[member["id"]]["done"] += 1
                cells.append(("done", _("reviewed: %(score)s", score=format_number(review.get("weighted_score"), 2))))
        rows.append((candidate, cells))
    return rows, per_member, conflicts


def explain(reasoning: list[dict], names: dict) -> list[str]:
    """The proposal's reasoning in the reader's language (the service explains in English)."""
    summaries = {i.get("size_class"): i for i in reasoning if i.get("kind") == "class_summary"}
    lines = []
    for item in reasoning:
        kind = item.get("kind")
        if kind == "class_summary":
            text = _("%(class)s: %(selected)s proposed of %(scored)s with reviews.",
                     **{"class": size_class_label(item.get("size_class")), "selected": item.get("selected"),
                        "scored": item.get("scored")})
            bounds = []
            if item.get("minimum"):
                bounds.append(_("at least %(n)s", n=item["minimum"]))
            if item.get("maximum") is not None:
                bounds.append(_("at most %(n)s", n=item["maximum"]))
            if bounds:
                text += " " + _("Balance rule: %(bounds)s.", bounds=", ".join(bounds))
            lines.append(text)
        elif kind == "relaxed":
            reasons = {"no_scored_candidates": _("no candidate of this class has a counted review"),
                       "too_few_scored_candidates": _("too few candidates of this class have a counted review"),
                       "not_enough_places": _("there are not enough places for every minimum")}
            lines.append(_("The minimum for %(class)s was relaxed from %(required)s to %(applied)s: %(reason)s.",
                           **{"class": size_class_label(item.get("size_class")), "required": item.get("required"),
                              "applied": item.get("applied"),
                              "reason": reasons.get(str(item.get("reason")), item.get("reason", ""))}))
        elif kind == "unscored":
            lines.append(_("Not considered because they have no counted review: %(names)s.",
                           names=", ".join(names.get(a, a) for a in item.get("application_ids", []))))
        elif kind == "unfilled_places":
            lines.append(_("Only %(selected)s of %(places)s places can be filled with reviewed candidates within "
                           "the balance rule.", selected=item.get("selected"), places=item.get("places")))
        elif kind == "preferred":
            chosen, over = item.get("selected"), item.get("over")
            lines.append(_("%(chosen)s is proposed instead of the higher-ranked %(over)s because of the balance "
                           "rule (%(detail)s).", chosen=names.get(chosen, chosen), over=names.get(over, over),
                           detail=_rule_detail(item.get("because", ""), summaries)))
        elif kind == "not_selected":
            who = item.get("application_id")
            lines.append(_("%(name)s is not proposed although it ranks among the top places, because of the "
                           "balance rule (%(detail)s).", name=names.get(who, who),
                           detail=_rule_detail(item.get("because", ""), summaries)))
        else:
            lines.append(item.get("text", ""))
    return [line for line in lines if line]


def _rule_detail(because: str, summaries: dict) -> str:
    parts = []
    for size_class in SIZE_CLASSES:
        summary = summaries.get(size_class) or {}
        label = size_class_label(size_class)
        if "requires at least" in because and summary.get("minimum") and _names_class(because, size_class):
            parts.append(_("at least %(n)s × %(class)s", n=summary["minimum"], **{"class": label}))
        if "allows at most" in because and summary.get("maximum") is not None and _names_class(because, size_class):
            parts.append(_("at most %(n)s × %(class)s", n=summary["maximum"], **{"class": label}))
    return "; ".join(parts) or _("see the class lines below")


def _names_class(text: str, size_class: str) -> bool:
    words = {"rural": "rural", "small": "small", "medium": "medium", "large": ("big", "large", "cit")}
    wanted = words[size_class]
    return any(w in text for w in (wanted if isinstance(wanted, tuple) else (wanted,)))


# --- pages ---------------------------------------------------------------------------------------
@bp.get("/calls/<call_id>/selection")
def overview(call_id):
    svc = services()
    known, call = load(call_id)
    panel = candidates = rule = None
    rows, per_member, conflicts = [], {}, []
    conflict_form = ConflictForm()
    if known is not None:
        panel = panel_of(call_id)
        candidates = svc.selection.all(f"/v1/calls/{call_id}/candidates")
        rule = svc.selection.get_or_none(f"/v1/calls/{call_id}/balance-rule")
        rows, per_member, conflicts = review_matrix(call_id, panel, candidates)
        _conflict_choices(conflict_form, panel, candidates)
    return render_template("selection/overview.html", title=_("Selection: %(title)s", title=call["title"]),
                           section="calls", call=call, known=known, panel=panel, candidates=candidates, rule=rule,
                           rows=rows, per_member=per_member, conflicts=conflicts, conflict_form=conflict_form)


def _conflict_choices(form: ConflictForm, panel, candidates) -> None:
    form.member.choices = [("", _("– choose –"))] + [(m["id"], f"{m['name']} ({m['institution']})")
                                                   for m in (panel or {}).get("members", [])]
    form.candidate.choices = [("", _("– choose –"))] + [(c["application_id"], c["municipality"]["name"])
                                                      for c in candidates or []]


@bp.post("/calls/<call_id>/selection/conflicts")
def declare_conflict(call_id):
    svc = services()
    form = ConflictForm()
    _conflict_choices(form, panel_of(call_id), svc.selection.all(f"/v1/calls/{call_id}/candidates"))
    if form.validate_on_submit():
        try:
            svc.selection.post(f"/v1/calls/{call_id}/candidates/{form.candidate.data}/conflicts/{form.member.data}",
                               {"reason": form.reason.data.strip()})
        except ApiError as error:
            apply_api_errors(None, error)
        else:
            flash(_("The conflict of interest has been recorded; this member's review of the candidate no "
                    "longer counts."), "success")
    else:
        for field in (form.member, form.candidate, form.reason):
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
    return redirect(url_for("selection.overview", call_id=call_id) + "#conflicts")


@bp.route("/calls/<call_id>/selection/panel", methods=["GET", "POST"])
def panel(call_id):
    svc = services()
    known, call = load(call_id)
    current = panel_of(call_id) if known is not None else None
    form = PanelForm()
    rule_form = BalanceRuleForm(prefix="rule")
    rule = svc.selection.get_or_none(f"/v1/calls/{call_id}/balance-rule") if known is not None else None
    if request.method == "GET":
        members = (current or {}).get("members", [])
        if current is not None:
            criteria = current.get("criteria", [])
        else:
            criteria = (svc.selection.get_or_none("/v1/criteria/defaults") or {}).get("criteria", [])
        form = PanelForm(data={"members": members + [{}] * max(3, 7 - len(members)),
                               "criteria": criteria + [{}],
                               "quorum": None if (current or {}).get("quorum_is_default", True) else current["quorum"]})
        if rule:
            for size_class in SIZE_CLASSES:
                rule_form[f"min_{size_class}"].data = rule["minimum"].get(size_class)
                rule_form[f"max_{size_class}"].data = rule["maximum"].get(size_class)
    elif form.validate_on_submit():
        members, seen = [], set()
        for row in form.members:
            if row.form.blank:
                continue
            member_id = (row.form.id.data or "").strip() or slug(row.form.name.data)
            base, n = member_id, 2
            while member_id in seen:
                member_id, n = f"{base}-{n}", n + 1
            seen.add(member_id)
            members.append({"id": member_id, "name": row.form.name.data.strip(),
                            "institution": row.form.institution.data.strip(), "email": row.form.email.data.strip(),
                            "role": row.form.role.data or "member"})
        criteria = [{"key": row.form.key.data.strip(), "label": row.form.label.data.strip(),
                     "weight": row.form.weight.data if row.form.weight.data is not None else 1.0}
                    for row in form.criteria if not row.form.blank]
        body = {"members": members, "quorum": form.quorum.data}
        if criteria:
            body["criteria"] = criteria
        try:
            svc.selection.put(f"/v1/calls/{call_id}/panel", body)
        except ApiError as error:
            apply_api_errors(form, error)
        else:
            flash(ngettext("The steering group has been saved with %(num)s member.",
                           "The steering group has been saved with %(num)s members.", len(members)), "success")
            return redirect(url_for("selection.overview", call_id=call_id))
    return render_template("selection/panel.html", title=_("Steering group and criteria"), section="calls",
                           call=call, known=known, form=form, rule_form=rule_form, rule=rule,
                           size_classes=SIZE_CLASSES)


@bp.post("/calls/<call_id>/selection/balance-rule")
def balance_rule(call_id):
    form = BalanceRuleForm(prefix="rule")
    if form.validate_on_submit():
        body = {"minimum": {}, "maximum": {}}
        for size_class in SIZE_CLASSES:
            low, high = form[f"min_{size_class}"].data, form[f"max_{size_class}"].data
            if low is not None:
                body["minimum"][size_class] = low
            if high is not None:
                body["maximum"][size_class] = high
        try:
            services().selection.put(f"/v1/calls/{call_id}/balance-rule", body)
        except ApiError as error:
            apply_api_errors(None, error)
        else:
            flash(_("The balance rule has been saved."), "success")
    else:
        for field in form:
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "error")
    return redirect(url_for("selection.panel", call_id=call_id) + "#balance-rule")


@bp.get("/calls/<call_id>/selection/ranking")
def ranking(call_id):
    svc = services()
    known, call = load(call_id)
    ranking_data = proposal = decision = chart = None
    reasons: list[str] = []
    chosen, word = set(), ""
    if known is not None:
        ranking_data = svc.selection.get(f"/v1/calls/{call_id}/ranking")
        decision = svc.selection.get_or_none(f"/v1/calls/{call_id}/decision") if known.get("decided") else None
        try:
            proposal = svc.selection.get(f"/v1/calls/{call_id}/proposal")
        except ApiError:
            proposal = None
        names = {e["application_id"]: f"{e['name']} (#{e['rank']})" for e in ranking_data.get("entries", [])}
        if decision:
            chosen, word = set(decision.get("selected", [])), _("selected")
        else:
            chosen = {e["application_id"] for e in (proposal or {}).get("selected", [])}
            word = _("proposed")
        chart = figures.ranking_chart("chart-ranking", ranking_data.get("entries", []), chosen, word)
        reasons = explain((proposal or {}).get("reasoning", []), names)
    return render_template("selection/ranking.html", title=_("Ranking and proposal: %(title)s", title=call["title"]),
                           section="calls", call=call, known=known, ranking=ranking_data, proposal=proposal,
                           decision=decision, chart=chart, reasons=reasons, chosen=chosen, chosen_word=word)


@bp.route("/calls/<call_id>/selection/decision", methods=["GET", "POST"])
def decision(call_id):
    svc = services()
    known, call = load(call_id)
    if known is None:
        return render_template("selection/decision.html", title=_("Decision"), section="calls", call=call,
                               known=None, recorded=None, form=None, proposal=None, panel=None, candidates=[])
    recorded = svc.selection.get_or_none(f"/v1/calls/{call_id}/decision") if known.get("decided") else None
    vacancies = svc.selection.get(f"/v1/calls/{call_id}/decision/vacancies") if recorded else []
    amendments = svc.selection.get(f"/v1/calls/{call_id}/decision/amendments") if recorded else []
    ask = Tolerant()
    publication = ask("publishing", lambda: publication_of("selection_result", call_id)) if recorded else None
    panel_data = panel_of(call_id)
    candidates = svc.selection.all(f"/v1/calls/{call_id}/candidates")
    names = {c["application_id"]: c["municipality"]["name"] for c in candidates}
    names.update({v["vacated"]["application_id"]: v["vacated"]["name"] for v in vacancies})
    names.update({line["application_id"]: line["name"] for line in (recorded or {}).get("ranking", [])})
    try:
        proposal = svc.selection.get(f"/v1/calls/{call_id}/proposal")
    except ApiError:
        proposal = None
    form = DecisionForm()
    ranking_data = svc.selection.get(f"/v1/calls/{call_id}/ranking")
    order = [e["application_id"] for e in ranking_data.get("entries", [])]
    order += [c for c in names if c not in order]
    form.selected.choices = [(a, names.get(a, a)) for a in order]
    form.present.choices = [(m["id"], f"{m['name']} ({m['institution']})") for m in (panel_data or {}).get("members", [])]
    if request.method == "GET":
        form.selected.data = [e["application_id"] for e in (proposal or {}).get("selected", [])]
        form.present.data = [m["id"] for m in (panel_data or {}).get("members", [])]
        # Rounded up: rounded down it could fall before the call closed a few seconds ago.
        form.decided_at.data = now_berlin(round_up=True)
    elif recorded is None and form.validate_on_submit():
        body = {"selected": form.selected.data or [], "rationale": form.rationale.data.strip(),
                "decided_at": iso(from_wall_time(form.decided_at.data)), "present_member_ids": form.present.data or [],
                "deviation_reason": (form.deviation_reason.data or "").strip() or None}
        try:
            svc.selection.post(f"/v1/calls/{call_id}/decision", body)
        except ApiError as error:
            apply_api_errors(form, error, {"present_member_ids": "present"})
        else:
            flash(_("The decision has been recorded. The workshops are planned for the selected municipalities "
                    "and the decision notices are prepared for review."), "success")
            return redirect(url_for("selection.decision", call_id=call_id))
    return render_template("selection/decision.html", title=_("Decision: %(title)s", title=call["title"]),
                           section="calls", call=call, known=known, recorded=recorded, form=form, proposal=proposal,
                           panel=panel_data, names=names, candidates=candidates,
                           proposed=[e["application_id"] for e in (proposal or {}).get("selected", [])],
                           publication=publication, notices=ask.notices, vacancies=vacancies, amendments=amendments)


@bp.route("/calls/<call_id>/selection/decision/vacancies/<application_id>", methods=["GET", "POST"])
def amendment(call_id, application_id):
    """Name a successor for a place vacated since the decision (a decision amendment)."""
    svc = services()
    call = svc.applications.get(f"/v1/calls/{call_id}")
    vacancy = next((v for v in svc.selection.get(f"/v1/calls/{call_id}/decision/vacancies")
                    if v["vacated"]["application_id"] == application_id), None)
    if vacancy is None:
        flash(_("This place is not vacant (any more)."), "error")
        return redirect(url_for("selection.decision", call_id=call_id))
    panel_data = panel_of(call_id)
    proposed = (vacancy["proposed_successor"] or {}).get("application_id")
    form = AmendmentForm()
    form.successor.choices = [
        (line["application_id"], _("%(name)s (rank %(rank)s, %(size)s)", name=line["name"], rank=line["rank"],
                                   size=size_class_label(line["size_class"])))
        for line in vacancy["eligible"]]
    form.present.choices = [(m["id"], f"{m['name']} ({m['institution']})") for m in (panel_data or {}).get("members", [])]
    if request.method == "GET":
        form.successor.data = proposed
        form.present.data = [m["id"] for m in (panel_data or {}).get("members", [])]
        form.decided_at.data = now_berlin(round_up=True)  # never before the decision a moment ago
    elif form.validate_on_submit():
        body = {"vacated_application_id": application_id, "successor_application_id": form.successor.data,
                "rationale": form.rationale.data.strip(), "decided_at": iso(from_wall_time(form.decided_at.data)),
                "present_member_ids": form.present.data or [],
                "deviation_reason": (form.deviation_reason.data or "").strip() or None}
        try:
            svc.selection.post(f"/v1/calls/{call_id}/decision/amendments", body)
        except ApiError as error:
            apply_api_errors(form, error, {"present_member_ids": "present", "successor_application_id": "successor"})
        else:
            flash(_("The successor has been recorded. Its workshops are planned and its decision notice is "
                    "prepared for review."), "success")
            return redirect(url_for("selection.decision", call_id=call_id))
    return render_template("selection/amendment.html", title=_("Successor for %(name)s", name=vacancy["vacated"]["name"]),
                           section="calls", call=call, vacancy=vacancy, form=form, proposed=proposed)


@bp.get("/calls/<call_id>/selection/audit")
def audit(call_id):
    svc = services()
    call = svc.applications.get(f"/v1/calls/{call_id}")
    page = svc.selection.page(f"/v1/calls/{call_id}/audit", page=request.args.get("page", 1, type=int), page_size=50)
    return render_template("selection/audit.html", title=_("Audit trail: %(title)s", title=call["title"]),
                           section="calls", call=call, page=page)
