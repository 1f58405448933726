"""The sending worker's pace: run budget, backoff, batch size and the SMTP throttle."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

log = logging.getLogger(__name__)

ADVISORY_NAMESPACE = 0x7075626C  # "publ": the first key of our two-key advisory locks
RUN_BUDGET_S = 5.0  # a periodic run returns after this long, so that the worker stops promptly
NOTICE_LOOKUP_RETRY_S = 5.0
MARK_SENT_PATIENCE_S = 60.0
MAX_BACKOFF = timedelta(hours=1)
NEWSLETTER_BATCH = 50  # messages built ahead of sending: a run that meets its deadline wastes at most these


# --- throttling ----------------------------------------------------------------------------------
class Throttle:
    """At most `rate` sends per second across every sending thread of the worker (0: no limit)."""

    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
