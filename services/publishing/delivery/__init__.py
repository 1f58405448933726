"""Sending mail from the worker: newsletters, single mails and decision notices, over SMTP.

The queues
----------
`deliveries` holds one row per recipient of a newsletter, written in the same transaction that moves the
newsletter from scheduled to sending (so a crash leaves either no rows or all of them). `mails` holds single
messages, rendered when they were queued. Both rows go pending -> sending -> sent | failed (| skipped).

The rule for "exactly one delivery per recipient"
-------------------------------------------------
Per row, three steps, each its own transaction:
1. claim: `pending -> sending`, `attempts + 1`, `claimed_by` = this worker's lease key; commit;
2. the SMTP transaction (MAIL, RCPT, DATA); the server accepts with its reply to the final dot;
3. mark: `sending -> sent` with the Message-ID; commit, at once. The same commit claims the next row of
   the batch (step 1 for it), so a message costs one commit; at most one row per worker is `sending`.
A row is never claimed twice while its claimer lives: the claim is a conditional update, and a claim whose
worker is alive is never touched. A row left in `sending` by a worker that died is *ambiguous*; it is put
back to pending and sent again, with the same Message-ID (deterministic per newsletter and recipient):
- a worker killed before step 2 completed never got the server's acceptance, so the resend is the only copy
  (the kill test kills exactly there: while the SMTP server holds its reply to the final dot);
- the remaining window is between the server's 250 reply and the commit of step 3, i.e. one network
  round-trip plus one local commit (about a millisecond; if the database is unreachable just then, the
  worker retries that commit for up to a minute, and the window lasts as long). A crash inside it gives
  that one recipient a second copy with the same Message-ID, which receiving servers and clients can
  recognise as a duplicate.
We chose at-least-once inside that window over at-most-once because a lost decision letter or newsletter
is worse than a recognisable duplicate. A temporary failure (SMTP 4xx, a dropped connection) is retried
with backoff up to `smtp_max_attempts`; a permanent one (5xx) fails the row at once.

Who is alive
------------
On PostgreSQL every worker holds a session-level advisory lock under its lease key for its whole life;
the server releases it the moment the worker's connection dies (a SIGKILL closes the socket). A row in
`sending` whose key holds no lock was abandoned. This is exact and immediate, and lets several workers
send at once. On SQLite (development, one worker) a claim counts as abandoned when another key made it
longer than `claim_lease_s` ago. A worker whose lease connection breaks while it lives (a database
restart) re-acquires a new key; a claim it is sending at that moment could then be resent by another
worker: a second, rarer window of the same kind.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.publishing.delivery.dispatcher import (
    Dispatcher,
    Outgoing,
)
from services.publishing.delivery.pacing import (
    ADVISORY_NAMESPACE,
    MARK_SENT_PATIENCE_S,
    MAX_BACKOFF,
    NEWSLETTER_BATCH,
    NOTICE_LOOKUP_RETRY_S,
    RUN_BUDGET_S,
    Throttle,
    log,
)
from services.publishing.delivery.queue import (
    ClaimLease,
    SendingQueue,
)
from services.publishing.delivery.smtp import (
    SendFailure,
    SmtpEndpoint,
    SmtpTransport,
    _text,
)
