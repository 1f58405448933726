"""Decision letters to municipalities and enquiries to the office."""
from __future__ import annotations

import pytest

from services.publishing.domain import NOTICE_PLACEHOLDERS, create_enquiry, decision_notice, validate_notice_template
from shared.errors import InvalidInput

from .publishing_helpers import NOW


def test_selected_letter_is_german_and_names_municipality_and_call():
    subject, text = decision_notice("selected", "Wassenberg", "Erika Musterfrau", "Smart City")
    assert subject == "Netzwerk vor Ort: Wassenberg wurde ausgewählt"
    assert text.startswith("Guten Tag Erika Musterfrau,\n\nwir freuen uns")
    assert "Aufrufs „Smart City“" in text
    assert "zwei Strategiewerkstätten" in text
    assert text.rstrip().endswith("Geschäftsstelle Netzwerk Innenstadt NRW")


def test_not_selected_letter_invites_to_the_workshops_of_the_selected():
    subject, text = decision_notice("not_selected", "Hamm", "Lena Probe", "Smart City",
                                    selected_municipalities=["Wassenberg", "Arnsberg", "Siegen"])
    assert "Smart City" in subject
    assert "nicht zum Zuge kommen" in text
    assert "an den Strategiewerkstätten in Wassenberg, Arnsberg und Siegen teilzunehmen" in text


def test_letter_without_contact_person_uses_formal_salutation():
    _, text = decision_notice("not_selected", "Hamm", None, "Smart City")
    assert text.startswith("Sehr geehrte Damen und Herren,")
    assert "in den ausgewählten Kommunen" in text


def test_staff_template_is_filled_in():
    subject, text = decision_notice(
        "selected", "Siegen", "Max Beispiel", "Smart City",
        template="$salutation\n\n$municipality ist dabei ($call_title). Kosten: 0 $$.\n\n$sender",
        subject_template="Zusage für $municipality",
    )
    assert subject == "Zusage für Siegen"
    assert text == "Guten Tag Max Beispiel,\n\nSiegen ist dabei (Smart City). Kosten: 0 $.\n\nGeschäftsstelle Netzwerk Innenstadt NRW\n"


@pytest.mark.parametrize("template", ["Hallo $buergermeister", "Preis: 5 $", "", "${municipality"])
def test_bad_templates_are_rejected_with_field_template(template):
    with pytest.raises(InvalidInput) as err:
        decision_notice("selected", "Siegen", None, "Smart City", template=template)
    assert err.value.field == "template"


def test_unknown_placeholder_in_subject_names_the_subject_template():
    with pytest.raises(InvalidInput) as err:
        decision_notice("selected", "Siegen", None, "Smart City", subject_template="$stadt")
    assert err.value.field == "subject_template"
    assert "$stadt" in err.value.message


def test_every_documented_placeholder_is_accepted():
    validate_notice_template(" ".join(f"${name}" for name in NOTICE_PLACEHOLDERS))


def test_unknown_notice_kind_is_rejected():
    with pytest.raises(InvalidInput):
        decision_notice("maybe", "Siegen", None, "Smart City")


def test_enquiry_is_trimmed_and_normalised():
    enquiry = create_enquiry(name=" Jonas Test ", email="Jonas@Example.ORG", organisation="Stadt Hamm",
                             message="Wie kann unsere Stadt teilnehmen?", now=NOW)
    assert enquiry.name == "Jonas Test" and enquiry.email == "Jonas@example.org"


@pytest.mark.parametrize("overrides, field", [
    ({"name": ""}, "name"),
    ({"email": "jonas"}, "email"),
    ({"message": "   "}, "message"),
    ({"message": "x" * 5001}, "message"),
    ({"organisation": "x" * 201}, "organisation"),
])
def test_invalid_enquiries_are_rejected_with_the_field(overrides, field):
    data = dict(name="Jonas Test", email="jonas@example.org", organisation="", message="Frage", now=NOW)
    with pytest.raises(InvalidInput) as err:
        create_enquiry(**{**data, **overrides})
    assert err.value.field == field
