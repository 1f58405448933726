"""The list of selection's blueprints."""
from __future__ import annotations

from services.selection.api.common import calls_blp, criteria_blp, decision_blp, panel_blp, reviews_blp
from services.selection.privacy import PRIVACY_BLUEPRINT

BLUEPRINTS = [calls_blp, panel_blp, criteria_blp, reviews_blp, decision_blp, PRIVACY_BLUEPRINT]
