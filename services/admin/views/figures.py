"""The charts the office looks at, built from what the services answer (see charts.py for drawing)."""
from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _

from services.admin.charts import Bar, Chart, bar_chart
from services.admin.views.common import format_number, size_class_label
from shared.municipalities import SIZE_CLASSES

SCORE_MAX = 5


def applications_by_size_class(chart_id: str, applications: list[dict], call_title: str) -> Chart:
    counts = Counter(a.get("size_class") for a in applications if a.get("status", "submitted") == "submitted")
    total = sum(counts.values())
    bars, rows = [], []
    if total:
        for size_class in SIZE_CLASSES:
            count = counts.get(size_class, 0)
            label = size_class_label(size_class)
            share = format_number(100 * count / total) + " %"
            bars.append(Bar(label, count, f"{count} ({share})"))
            rows.append([label, str(count), share])
    description = _("Applications to “%(call)s” by town size class: %(parts)s.", call=call_title,
                    parts="; ".join(f"{r[0]} {r[1]}" for r in rows) or _("none"))
    return bar_chart(chart_id, _("Applications by town size class"), description, bars,
                     columns=[_("Town size class"), _("Applications"), _("Share")], rows=rows)


def ranking_chart(chart_id: str, entries: list[dict], chosen: set[str], chosen_word: str) -> Chart:
    bars, rows = [], []
    for entry in entries:
        mean = entry.get("weighted_mean")
        label = f"{entry.get('rank', '')}. {entry.get('name', '')}"
        marked = entry.get("application_id") in chosen
        if mean is None:
            text = _("no review yet")
        else:
            text = _("%(score)s of %(max)s", score=format_number(mean, 2), max=SCORE_MAX)
        if marked:
            text += f" – {chosen_word}"
        bars.append(Bar(label, mean or 0, text, emphasis=marked))
        rows.append([label, size_class_label(entry.get("size_class")), format_number(mean, 2),
                     str(entry.get("reviews", 0)), format_number(entry.get("spread"), 2),
                     chosen_word if marked else "–"])
    description = _("Weighted mean score (0 to %(max)s) per candidate, in ranking order. %(marked)s",
                    max=SCORE_MAX, marked=_("Marked: %(word)s.", word=chosen_word) if chosen else "")
    return bar_chart(chart_id, _("Ranking by weighted score"), description, bars, max_value=SCORE_MAX,
                     columns=[_("Rank and municipality"), _("Town size class"), _("Weighted mean"), _("Reviews"),
                              _("Spread"), _("Status")], rows=rows)


def workshop_label(workshop: dict) -> str:
    municipality = (workshop.get("municipality") or {}).get("name", "")
    return f"{municipality} · {workshop.get('sequence', '')}".strip(" ·")


def registrations_chart(chart_id: str, workshops: list[dict]) -> Chart:
    bars, rows = [], []
    for workshop in workshops:
        if workshop.get("status") == "cancelled":
            continue
        places = workshop.get("places") or {}
        confirmed = places.get("confirmed", 0)
        capacity = places.get("capacity")
        waitlisted = places.get("waitlisted", 0)
        label = workshop_label(workshop)
        if workshop.get("status") == "planned":
            text = _("not scheduled yet")
        elif capacity:
            text = _("%(confirmed)s of %(capacity)s places", confirmed=confirmed, capacity=capacity)
        else:
            text = _("%(confirmed)s (no limit)", confirmed=confirmed)
        if waitlisted:
            text += " " + _("+ %(count)s waiting", count=waitlisted)
        bars.append(Bar(label, confirmed, text, capacity=capacity))
        rows.append([label, str(confirmed), str(capacity) if capacity else _("no limit"), str(waitlisted),
                     str(places.get("pending", 0))])
    description = _("Confirmed registrations per workshop; the dashed outline is the number of places.")
    return bar_chart(chart_id, _("Registrations against capacity"), description, bars,
                     columns=[_("Workshop"), _("Confirmed"), _("Places"), _("Waiting list"), _("Awaiting approval")],
                     rows=rows)
