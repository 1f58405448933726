"""HTTP entry points of the publishing service's API: parse -> command -> bus -> response.

Public (no token, marked `@public`): the published publications, subscribing with its confirm and
unsubscribe links, and enquiries. Everything else is for the office (staff). The HTML results page and the
feeds are in pages.py.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.publishing.api.blueprints import (
    BLUEPRINTS,
    export_personal_data,
    privacy_blp,
)
from services.publishing.api.common import (
    OPTIONAL_TOKEN,
    enquiries_blp,
    members_blp,
    newsletters_blp,
    notices_blp,
    optional_principal,
    publications_blp,
    settings,
    subscriptions_blp,
)
from services.publishing.api.newsletters import (
    NewsletterItem,
    NewsletterPreview,
    NewsletterRecipients,
    Newsletters,
    NewsletterSend,
    NewsletterTest,
    _recipients,
    _sending_started,
    newsletter_view,
)
from services.publishing.api.notices import (
    ApproveNotice,
    DecisionLetter,
    DiscardNotice,
    Enquiries,
    NoticeItem,
    Notices,
    NoticeTemplate,
    notice_view,
)
from services.publishing.api.publications import (
    MemberItem,
    Members,
    PublicationItem,
    Publications,
    PublishPublication,
    publication_view,
)
from services.publishing.api.subscriptions import (
    _ONE_CLICK_FORM,
    ONE_CLICK_BODY,
    ConfirmSubscription,
    Subscriptions,
    UnsubscribeLink,
    _link_error_reason,
    _link_answer,
)
