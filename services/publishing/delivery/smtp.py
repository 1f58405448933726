"""The SMTP transport: one connection reused, failures classified as temporary or final."""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


# --- SMTP ----------------------------------------------------------------------------------------
class SendFailure(Exception):
    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class SmtpEndpoint:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpEndpoint:
        parts = urlsplit(url)
        default_port = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        return cls(scheme=parts.scheme, host=parts.hostname or "127.0.0.1", port=parts.port or default_port,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)


class SmtpTransport:
    """One SMTP session, opened on first use and reused for the following messages; not thread-safe."""

    def __init__(self, url: str, timeout_s: float = 30.0, connector: Callable[[], smtplib.SMTP] | None = None):
        self.endpoint = SmtpEndpoint.parse(url)
        self.timeout_s = timeout_s
        self._connector = connector or self._connect
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        connection: smtplib.SMTP
        if endpoint.scheme == "smtps":
            connection = smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=self.timeout_s,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(endpoint.host, endpoint.port, timeout=self.timeout_s)
            if endpoint.scheme == "smtp+starttls":
                connection.starttls(context=ssl.create_default_context())
        connection.ehlo_or_helo_if_needed()
        if endpoint.username:
            connection.login(endpoint.username, endpoint.password or "")
        return connection

    def send(self, envelope_from: str, recipient: str, message: str) -> None:
        """Returns once the server accepted the message; raises SendFailure otherwise."""
        try:
            if self._connection is None:
                self._connection = self._connector()
            self._connection.sendmail(envelope_from, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise SendFailure(f"recipient refused: {code} {_text(reply)}", temporary=400 <= code < 500) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise SendFailure(f"refused: {error.smtp_code} {_text(error.smtp_error)}",
                              temporary=400 <= error.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as error:
            # Connection, TLS, login or a dropped session: nothing says the message was refused, so retry it.
            self.close()
            raise SendFailure(f"SMTP session failed: {error.__class__.__name__}: {error}", temporary=True) from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
