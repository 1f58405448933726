"""A steering-group member's pages: the calls of its panel, conflicts of interest, reviews and progress.

Blind review: until the review closes (the office records the decision, which locks every review), a
member sees only its own reviews; the ranking, the proposal and its explanation appear afterwards. A
member sees only calls whose panel it belongs to, even though the selection API would answer for others.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from services.portal.views.common import place_api_errors, role_required, services
from shared.apiclient import ApiError

bp = Blueprint("steering", __name__, url_prefix="/review")

SCORES = [("", "–")] + [(str(n), str(n)) for n in range(6)]


def member_id() -> str:
    return g.person.member_id


def my_calls() -> list[dict]:
    found = []
    for call in services().selection.all("/v1/calls"):
        panel = services().selection.get_or_none(f"/v1/calls/{call['id']}/panel")
        if panel and any(m["id"] == member_id() for m in panel["members"]):
            found.append(dict(call, panel=panel))
    return found


def my_call(call_id: str) -> dict:
    """The call with its panel, or 404 when the member is not on its panel."""
    if len(call_id) > 36:
        abort(404)
    call = services().selection.get_or_none(f"/v1/calls/{call_id}")
    panel = services().selection.get_or_none(f"/v1/calls/{call_id}/panel") if call else None
    if panel is None or not any(m["id"] == member_id() for m in panel["members"]):
        abort(404)
    return dict(call, panel=panel)


def review_closed(call: dict) -> bool:
    return bool(call.get("decided"))


@bp.get("")
@role_required("steering")
def calls():
    return render_template("steering/calls.html", section="review", calls=my_calls())


@bp.get("/<call_id>")
@role_required("steering")
def call(call_id):
    item = my_call(call_id)
    client = services().selection
    candidates = client.all(f"/v1/calls/{call_id}/candidates")
    reviews = {r["application_id"]: r for r in client.all(f"/v1/calls/{call_id}/reviews", member_id=member_id())}
    conflicts = {c["application_id"]: c for c in client.all(f"/v1/calls/{call_id}/conflicts")}
    expected = [c for c in candidates if c["application_id"] not in conflicts]
    done = [c for c in expected if c["application_id"] in reviews]
    ranking = proposal = decision = None
    if review_closed(item):
        ranking = client.get(f"/v1/calls/{call_id}/ranking")
        proposal = client.get(f"/v1/calls/{call_id}/proposal")
        decision = client.get_or_none(f"/v1/calls/{call_id}/decision")
    return render_template("steering/call.html", section="review", call=item, candidates=candidates,
                           reviews=reviews, conflicts=conflicts, progress={"done": len(done), "expected": len(expected)},
                           closed=review_closed(item), ranking=ranking, proposal=proposal, decision=decision)


class ConflictForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class WithdrawConflictForm(FlaskForm):
    pass


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 5})
    abstain = BooleanField(_l("I abstain from scoring this application"))


def review_form(criteria: list[dict], review: dict | None):
    attrs = {f"score_{c['key']}": SelectField(c["label"], choices=SCORES, validators=[Optional()])
             for c in criteria}
    form_class = type("CriteriaReviewForm", (ReviewForm,), attrs)
    if request.method == "POST" and request.form.get("form") == "review":
        return form_class()
    data = {}
    if review:
        data = {f"score_{k}": str(v) for k, v in (review.get("scores") or {}).items()}
        data.update(comment=review.get("comment") or "", abstain=review.get("abstained", False))
    return form_class(data=data, formdata=None)


@bp.route("/<call_id>/<application_id>", methods=["GET", "POST"])
@role_required("steering")
def candidate(call_id, application_id):
    item = my_call(call_id)
    client = services().selection
    if len(application_id) > 36:
        abort(404)
    found = client.get_or_none(f"/v1/calls/{call_id}/candidates/{application_id}")
    if found is None:
        abort(404)
    base = f"/v1/calls/{call_id}/candidates/{application_id}"
    review = client.get_or_none(f"{base}/reviews/{member_id()}")
    conflict = next((c for c in client.all(f"/v1/calls/{call_id}/conflicts")
                     if c["application_id"] == application_id), None)
    criteria = item["panel"]["criteria"]
    form = review_form(criteria, review)
    conflict_form = ConflictForm(formdata=None) if request.form.get("form") != "conflict" else ConflictForm()
    notices = []
    which = request.form.get("form")
    if request.method == "POST" and which == "review" and form.validate_on_submit():
        scores = {c["key"]: getattr(form, f"score_{c['key']}").data for c in criteria}
        body = {"comment": form.comment.data or "", "abstain": bool(form.abstain.data)}
        if not form.abstain.data:
            missing = [c for c in criteria if scores[c["key"]] in (None, "")]
            for c in missing:
                field = getattr(form, f"score_{c['key']}")
                field.errors = [*field.errors, _("Please give a score, or abstain.")]
            body["scores"] = {k: int(v) for k, v in scores.items() if v not in (None, "")}
            if missing:
                return _candidate_page(item, found, review, conflict, form, conflict_form, notices), 400
        try:
            client.put(f"{base}/reviews/{member_id()}", body)
        except ApiError as error:
            if error.status not in (400, 403, 409, 422):
                raise
            notices = place_api_errors(form, error, {})
            return _candidate_page(item, found, review, conflict, form, conflict_form, notices), 400
        flash(_("Your review has been saved."), "success")
        return redirect(url_for("steering.call", call_id=call_id))
    if request.method == "POST" and which == "conflict" and conflict_form.validate_on_submit():
        client.post(f"{base}/conflicts/{member_id()}", {"reason": conflict_form.reason.data.strip()})
        flash(_("Your conflict of interest has been recorded. Your review of this application does not count."),
              "success")
        return redirect(url_for("steering.candidate", call_id=call_id, application_id=application_id))
    if request.method == "POST" and which == "withdraw-conflict" and WithdrawConflictForm().validate_on_submit():
        client.delete(f"{base}/conflicts/{member_id()}")
        flash(_("Your conflict of interest has been withdrawn. You may review this application."), "success")
        return redirect(url_for("steering.candidate", call_id=call_id, application_id=application_id))
    status = 400 if request.method == "POST" else 200
    return _candidate_page(item, found, review, conflict, form, conflict_form, notices), status


def _candidate_page(item, found, review, conflict, form, conflict_form, notices):
    return render_template("steering/candidate.html", section="review", call=item, candidate=found, review=review,
                           conflict=conflict, form=form, conflict_form=conflict_form,
                           withdraw_form=WithdrawConflictForm(formdata=None), notices=notices,
                           closed=review_closed(item))
