"""The portal's own configuration, read through shared.config when the app or worker starts.

| variable | default | what |
| --- | --- | --- |
| `PORTAL_BASE_URL` | `PORTAL_URL` | the portal's address in mails (sign-in links, calendars) |
| `SMTP_URL` | `smtp://127.0.0.1:8025` | the mail server |
| `PORTAL_MAIL_FROM` | `Netzwerk vor Ort <portal@innenstadt-nrw.de>` | the sender of its mails |
| `PORTAL_OFFICE_EMAIL` | `info@innenstadt-nrw.de` | gets a copy of each contact-form enquiry |
| `PORTAL_OIDC_ISSUER`, `PORTAL_OIDC_CLIENT_ID`, `PORTAL_OIDC_CLIENT_SECRET`, `PORTAL_OIDC_LABEL` | unset | an organisation's OpenID Connect provider for the sign-in |
| `PORTAL_SECRET_KEY` | derived in development | the session key (shared.pages.session_secret; required outside development) |
"""
from __future__ import annotations

from dataclasses import dataclass, field

from services.portal.mail import default_sender
from shared.config import service_url, setting

NAME = "portal"


@dataclass(frozen=True)
class PortalSettings:
    base_url: str
    smtp_url: str
    sender: str
    office_email: str
    oidc: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> PortalSettings:
        oidc = {}
        issuer = setting("PORTAL_OIDC_ISSUER")
        if issuer:
            oidc = {"issuer": issuer.rstrip("/"),
                    "client_id": setting("PORTAL_OIDC_CLIENT_ID", ""),
                    "client_secret": setting("PORTAL_OIDC_CLIENT_SECRET", ""),
                    "label": setting("PORTAL_OIDC_LABEL", "")}
        return cls(base_url=setting("PORTAL_BASE_URL", service_url(NAME)).rstrip("/"),
                   smtp_url=setting("SMTP_URL", "smtp://127.0.0.1:8025"),
                   sender=setting("PORTAL_MAIL_FROM", default_sender()),
                   office_email=setting("PORTAL_OFFICE_EMAIL", "info@innenstadt-nrw.de"),
                   oidc=oidc)
