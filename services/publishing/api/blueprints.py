"""Personal data (GDPR) and the list of publishing's blueprints."""
from __future__ import annotations

from services.publishing.api.common import enquiries_blp, members_blp, newsletters_blp, notices_blp, publications_blp, subscriptions_blp
from shared.privacy import privacy_blueprint


# --- personal data -------------------------------------------------------------------------------
def export_personal_data(uow, digest: str) -> list[dict]:
    """Member contact, subscription, enquiries, newsletter deliveries, mails and decision letters."""
    return uow.privacy.export(digest)


privacy_blp = privacy_blueprint("publishing", export_personal_data)


BLUEPRINTS = [publications_blp, members_blp, subscriptions_blp, newsletters_blp, notices_blp, enquiries_blp,
              privacy_blp]
