"""The export's pure parts: personal columns left out by default, CSV cells that never run as formulas."""
from __future__ import annotations

import csv
import io

from services.admin.views.exports import PERSONAL, to_csv, without_personal_data


def test_without_personal_data_drops_exactly_the_personal_columns():
    rows = [{"application_id": "a1", "municipality": "Wassenberg", "contact_name": "Jana Beispiel",
             "contact_email": "jana@example.org", "contact_phone": "+49 1"}]
    assert without_personal_data("applications", rows) == [{"application_id": "a1", "municipality": "Wassenberg"}]
    assert without_personal_data("participants", [{"organisation": "IHK", "name": "Mara", "email": "m@x.org"}]) == \
        [{"organisation": "IHK"}]
    assert PERSONAL["ranking"] == () and PERSONAL["decision"] == ()


def test_csv_is_semicolon_separated_utf8_with_a_bom_and_cells_never_run_as_formulas():
    text = to_csv([{"municipality": "Gütersloh", "statement": "=HYPERLINK(\"http://evil\")"},
                   {"municipality": "Siegen", "statement": "+1", "extra": "@SUM(A1)"}])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["municipality", "statement", "extra"]
    assert rows[1] == ["Gütersloh", "'=HYPERLINK(\"http://evil\")", ""]
    assert rows[2] == ["Siegen", "'+1", "'@SUM(A1)"]
