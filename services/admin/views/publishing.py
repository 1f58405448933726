"""Publishing: publications (edit, publish), members, newsletters, decision notices and enquiries."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateTimeLocalField, FieldList, Form, FormField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from services.admin.clients import ApiError
from services.admin.views.common import Tolerant, apply_api_errors, from_wall_time, iso, services

from shared.municipalities import AGS_PATTERN

bp = Blueprint("publishing", __name__)

WALL_TIME = "%Y-%m-%dT%H:%M"
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter an e-mail address such as name@example.org."))
KIND_LABELS = {"selection_result": _l("selection result"), "workshop_result": _l("workshop results")}
MEMBER_KINDS = {"municipality": _l("member municipality"), "partner": _l("partner organisation")}
SEGMENTS = {
    "all_members": _l("all members"),
    "selected_municipalities": _l("the selected municipalities of a call"),
    "workshop_participants": _l("the participating organisations of a workshop"),
    "subscribers": _l("subscribers to a topic"),
}
NOTICE_STATUSES = {"pending_review": _l("awaiting review"), "approved": _l("approved"), "queued": _l("queued"),
                   "sent": _l("sent"), "failed": _l("failed"), "discarded": _l("discarded")}
NOTICE_KINDS = {"selected": _l("selected"), "not_selected": _l("not selected"),
                "workshop_cancelled": _l("workshop cancelled")}
NEWSLETTER_STATUSES = {"draft": _l("draft"), "scheduled": _l("scheduled"), "sending": _l("sending"),
                       "sent": _l("sent"), "partly_failed": _l("sent, some deliveries failed"),
                       "failed": _l("failed: no delivery succeeded")}


class SectionRow(Form):
    heading = StringField(_l("Heading"), validators=[Optional(), Length(max=300)])
    text = TextAreaField(_l("Text"), validators=[Optional(), Length(max=20_000)])


class PublicationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=200)])
    sections = FieldList(FormField(SectionRow), label=_l("Sections"))


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=list(MEMBER_KINDS.items()), validators=[DataRequired()])
    ags = StringField(_l("Official municipality key (AGS), for municipalities"), validators=[
        Optional(), Regexp(AGS_PATTERN, message=_l("The AGS has exactly 8 digits."))], render_kw={"inputmode": "numeric"})
    email = StringField(_l("E-mail address for results and newsletters"), validators=[DataRequired(), Length(max=254), EMAIL],
                        render_kw={"type": "email", "autocomplete": "off"})
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)],
                               render_kw={"autocomplete": "off"})


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewsletterForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=20_000)])
    publications = MultiCheckboxField(_l("Published results to include"))
    segment = RadioField(_l("Recipients"), choices=list(SEGMENTS.items()), default="all_members",
                         validators=[DataRequired()])
    call_id = SelectField(_l("Call (for the selected municipalities)"), validators=[Optional()])
    workshop_id = SelectField(_l("Workshop (for its participants)"), validators=[Optional()])
    topic = StringField(_l("Topic (for subscribers)"), validators=[Optional(), Length(max=100)])


class TestSendForm(FlaskForm):
    email = StringField(_l("Send a test to"), validators=[DataRequired(), Length(max=254), EMAIL],
                        render_kw={"type": "email", "autocomplete": "email"})


class SendLaterForm(FlaskForm):
    send_at = DateTimeLocalField(_l("Send at"), format=WALL_TIME, validators=[DataRequired()])


# --- publications --------------------------------------------------------------------------------
@bp.get("/publishing")
def home():
    return redirect(url_for("publishing.publications"))


@bp.get("/publications")
def publications():
    status = request.args.get("status") or None
    kind = request.args.get("kind") or None
    status = status if status in ("draft", "published") else None
    kind = kind if kind in KIND_LABELS else None
    page = services().publishing.page("/v1/publications", page=request.args.get("page", 1, type=int), page_size=25,
                                      status=status, kind=kind)
    return render_template("publishing/publications.html", title=_("Publications"), section="publishing",
                           page=page, status=status, kind=kind, kinds=KIND_LABELS, current="publications")


@bp.route("/publications/<publication_id>", methods=["GET", "POST"])
def publication(publication_id):
    svc = services()
    found = svc.publishing.get(f"/v1/publications/{publication_id}")
    form = PublicationForm()
    if request.method == "GET":
        form = PublicationForm(data={"title": found["title"], "summary": found.get("summary") or "",
                                     "topic": found.get("topic") or "",
                                     "sections": [{"heading": s.get("heading", ""), "text": s.get("text", "")}
                                                  for s in found.get("body") or []]})
    elif found["status"] == "draft" and form.validate_on_submit():
        stored = found.get("body") or []
        body = []
        for index, row in enumerate(form.sections):
            original = stored[index] if index < len(stored) else {}
            body.append({"heading": (row.form.heading.data or "").strip(), "text": (row.form.text.data or "").strip(),
                         "items": original.get("items", []), "links": original.get("links", [])})
        changes = {"title": form.title.data.strip(), "summary": (form.summary.data or "").strip(),
                   "topic": (form.topic.data or "").strip() or None, "body": body}
        try:
            svc.publishing.patch(f"/v1/publications/{publication_id}", changes)
        except ApiError as error:
            apply_api_errors(form, error)
        else:
            flash(_("The draft has been saved."), "success")
            return redirect(url_for("publishing.publication", publication_id=publication_id))
    return render_template("publishing/publication.html", title=found["title"], section="publishing",
                           publication=found, form=form, kinds=KIND_LABELS, current="publications")


@bp.post("/publications/<publication_id>/publish")
def publish(publication_id):
    try:
        services().publishing.post(f"/v1/publications/{publication_id}/publish")
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        flash(_("Published: the results are on the public results page and in the feeds now."), "success")
    return redirect(url_for("publishing.publication", publication_id=publication_id))


# --- members -------------------------------------------------------------------------------------
@bp.route("/members", methods=["GET", "POST"])
def members():
    svc = services()
    form = MemberForm()
    if form.validate_on_submit():
        body = {"name": form.name.data.strip(), "kind": form.kind.data, "ags": (form.ags.data or "").strip() or None,
                "email": form.email.data.strip(), "contact_name": (form.contact_name.data or "").strip() or None}
        try:
            member = svc.publishing.post("/v1/members", body)
        except ApiError as error:
            apply_api_errors(form, error)
        else:
            flash(_("%(name)s is a member now.", name=member["name"]), "success")
            return redirect(url_for("publishing.members"))
    kind = request.args.get("kind") if request.args.get("kind") in MEMBER_KINDS else None
    page = svc.publishing.page("/v1/members", page=request.args.get("page", 1, type=int), page_size=50, kind=kind)
    return render_template("publishing/members.html", title=_("Members"), section="publishing", page=page, form=form,
                           kind=kind, kinds=MEMBER_KINDS, current="members")


@bp.post("/members/<member_id>/remove")
def remove_member(member_id):
    try:
        services().publishing.delete(f"/v1/members/{member_id}")
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        flash(_("The member and its contact address have been removed."), "success")
    return redirect(url_for("publishing.members"))


# --- newsletters ---------------------------------------------------------------------------------
@bp.get("/newsletters")
def newsletters():
    page = services().publishing.page("/v1/newsletters", page=request.args.get("page", 1, type=int), page_size=25)
    return render_template("publishing/newsletters.html", title=_("Newsletters"), section="publishing", page=page,
                           statuses=NEWSLETTER_STATUSES, current="newsletters")


def _newsletter_choices(form: NewsletterForm, ask: Tolerant) -> None:
    svc = services()
    published = ask("publishing", lambda: svc.publishing.all("/v1/publications", status="published"), default=[])
    form.publications.choices = [(p["id"], p["title"]) for p in published]
    calls = ask("applications", lambda: svc.applications.all("/v1/calls"), default=[])
    form.call_id.choices = [("", _("– choose –"))] + [(c["id"], c["title"]) for c in calls if c.get("status") == "closed"]
    workshops = ask("workshops", lambda: svc.workshops.all("/v1/workshops", status="completed"), default=[])
    form.workshop_id.choices = [("", _("– choose –"))] + [(w["id"], w["title"]) for w in workshops]


@bp.route("/newsletters/new", methods=["GET", "POST"])
def new_newsletter():
    ask = Tolerant()
    form = NewsletterForm()
    _newsletter_choices(form, ask)
    if request.method == "GET":
        wanted = request.args.getlist("publication")
        form.publications.data = [p for p in wanted if p in dict(form.publications.choices)]
    if form.validate_on_submit():
        segment = {"type": form.segment.data}
        if form.segment.data == "selected_municipalities":
            segment["call_id"] = form.call_id.data or ""
        elif form.segment.data == "workshop_participants":
            segment["workshop_id"] = form.workshop_id.data or ""
        elif form.segment.data == "subscribers":
            segment["topic"] = (form.topic.data or "").strip()
        body = {"subject": form.subject.data.strip(), "intro": (form.intro.data or "").strip(),
                "publication_ids": form.publications.data or [], "segment": segment}
        try:
            newsletter = services().publishing.post("/v1/newsletters", body)
        except ApiError as error:
            apply_api_errors(form, error, {"publication_ids": "publications", "segment.call_id": "call_id",
                                           "segment.workshop_id": "workshop_id", "segment.topic": "topic"})
        else:
            flash(_("The newsletter has been drafted. Check the preview and the recipients, then send it."), "success")
            return redirect(url_for("publishing.newsletter", newsletter_id=newsletter["id"]))
    return render_template("publishing/newsletter_form.html", title=_("New newsletter"), section="publishing",
                           form=form, notices=ask.notices, current="newsletters")


@bp.get("/newsletters/<newsletter_id>")
def newsletter(newsletter_id):
    svc = services()
    found = svc.publishing.get(f"/v1/newsletters/{newsletter_id}", recipients="true")
    preview = svc.publishing.get(f"/v1/newsletters/{newsletter_id}/preview")
    titles = {}
    for publication_id in found.get("publication_ids", []):
        pub = svc.publishing.get_or_none(f"/v1/publications/{publication_id}")
        titles[publication_id] = pub["title"] if pub else publication_id
    later = SendLaterForm()
    in_flight = found.get("status") in ("scheduled", "sending")
    # Reloading by itself is opt-in: a page that refreshes under a screen reader's cursor loses its place
    # (WCAG 2.2.1), so the office turns it on (and off) with a link.
    auto = in_flight and request.args.get("auto") == "1"
    return render_template("publishing/newsletter.html", title=found["subject"], section="publishing",
                           newsletter=found, preview=preview, titles=titles, test_form=TestSendForm(),
                           later_form=later, statuses=NEWSLETTER_STATUSES, in_flight=in_flight, refresh=auto,
                           current="newsletters")


@bp.get("/newsletters/<newsletter_id>/preview.html")
def newsletter_preview_html(newsletter_id):
    response = services().publishing.request("GET", f"/v1/newsletters/{newsletter_id}/preview",
                                             params={"format": "html"}, raw=True)
    page = Response(response.content, mimetype="text/html")
    # The mail's own HTML, shown as it is: inline styles allowed, nothing else runs.
    page.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
                                               "sandbox")
    return page


@bp.post("/newsletters/<newsletter_id>/test")
def newsletter_test(newsletter_id):
    form = TestSendForm()
    if form.validate_on_submit():
        try:
            services().publishing.post(f"/v1/newsletters/{newsletter_id}/test", {"email": form.email.data.strip()})
        except ApiError as error:
            apply_api_errors(None, error)
        else:
            flash(_("A test mail to %(email)s is on its way.", email=form.email.data.strip()), "success")
    else:
        flash(_("Please enter an e-mail address such as name@example.org."), "error")
    return redirect(url_for("publishing.newsletter", newsletter_id=newsletter_id))


@bp.post("/newsletters/<newsletter_id>/send")
def newsletter_send(newsletter_id):
    body = {}
    if request.form.get("when") == "later":
        form = SendLaterForm()
        if not form.validate_on_submit():
            flash(_("Please enter when the newsletter should go out."), "error")
            return redirect(url_for("publishing.newsletter", newsletter_id=newsletter_id))
        body["send_at"] = iso(from_wall_time(form.send_at.data))
    else:
        form = FlaskForm()
        if not form.validate_on_submit():
            flash(_("The form was missing its security token or it has expired. Please reload the page and send "
                    "the form again."), "error")
            return redirect(url_for("publishing.newsletter", newsletter_id=newsletter_id))
    try:
        services().publishing.post(f"/v1/newsletters/{newsletter_id}/send", body)
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        flash(_("The newsletter will be sent at the chosen time.") if body else
              _("The newsletter is being sent. This page shows the progress."), "success")
    return redirect(url_for("publishing.newsletter", newsletter_id=newsletter_id))


# --- decision notices ----------------------------------------------------------------------------
@bp.get("/notices")
def notices():
    status = request.args.get("status", "pending_review")
    status = status if status in NOTICE_STATUSES or status == "all" else "pending_review"
    call_id = request.args.get("call_id") or None
    page = services().publishing.page("/v1/notices", page=request.args.get("page", 1, type=int), page_size=25,
                                      status=None if status == "all" else status, call_id=call_id)
    return render_template("publishing/notices.html", title=_("Decision notices"), section="publishing", page=page,
                           status=status, call_id=call_id, statuses=NOTICE_STATUSES, kinds=NOTICE_KINDS,
                           current="notices")


@bp.post("/notices/<notice_id>/<action>")
def notice_action(notice_id, action):
    if action not in ("approve", "discard"):
        return redirect(url_for("publishing.notices"))
    try:
        notice = services().publishing.post(f"/v1/notices/{notice_id}/{action}")
    except ApiError as error:
        apply_api_errors(None, error)
    else:
        name = (notice.get("municipality") or {}).get("name", "")
        flash(_("The notice to %(name)s has been approved and will be sent.", name=name) if action == "approve"
              else _("The notice to %(name)s has been discarded.", name=name), "success")
    return redirect(url_for("publishing.notices", status=request.form.get("back_status", "pending_review"),
                            call_id=request.form.get("back_call_id") or None))


# --- enquiries -----------------------------------------------------------------------------------
@bp.get("/enquiries")
def enquiries():
    page = services().publishing.page("/v1/enquiries", page=request.args.get("page", 1, type=int), page_size=25)
    return render_template("publishing/enquiries.html", title=_("Enquiries"), section="publishing", page=page,
                           current="enquiries")
