"""Standard Webhooks signatures: `v1` (HMAC-SHA256 with the endpoint's `whsec_` secret, made by the
`standardwebhooks` library) and, where the endpoint chose it, `v1a` (ed25519; the public key `whpk_` is
published to the partner). The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the header
lists every valid signature, space separated, so a receiver that knows any one of them accepts."""
from __future__ import annotations

import base64
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from standardwebhooks.webhooks import Webhook

from services.webhooks.domain import PUBLIC_KEY_PREFIX, SIGNING_KEY_PREFIX


def ed25519_keypair() -> tuple[str, str]:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return (SIGNING_KEY_PREFIX + base64.b64encode(raw_private).decode(),
            PUBLIC_KEY_PREFIX + base64.b64encode(raw_public).decode())


def signature_header(*, message_id: str, timestamp: int, body: str, secrets: list[str],
                     signing_key: str | None = None) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    signatures = [Webhook(secret).sign(message_id, moment, body) for secret in secrets]
    if signing_key:
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(signing_key[len(SIGNING_KEY_PREFIX):]))
        signed = private.sign(f"{message_id}.{timestamp}.{body}".encode())
        signatures.append("v1a," + base64.b64encode(signed).decode())
    return " ".join(signatures)


def webhook_headers(*, message_id: str, timestamp: int, body: str, secrets: list[str],
                    signing_key: str | None = None) -> dict:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(message_id=message_id, timestamp=timestamp, body=body,
                                              secrets=secrets, signing_key=signing_key),
        "content-type": "application/cloudevents+json; charset=utf-8",
        "user-agent": "NetzwerkVorOrt-Webhooks/1",
    }
