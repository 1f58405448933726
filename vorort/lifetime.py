"""Processes that end with the process that started them (Linux `PR_SET_PDEATHSIG`).

`make run` starts a tree: make, the runner (honcho's manager), one reader process per Procfile entry, and the
Procfile's processes (gunicorn, workers, the Kafka launcher, which starts the broker's JVM). Each of them asks
the kernel for a signal when its parent dies, so that however the tree is ended (Ctrl-C, SIGTERM, SIGKILL of
any part) nothing is left holding a port or a data directory for the next run.
"""
from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGTERM, parent_pid: int | None = None) -> None:
    """Ask for `signum` when the calling process's parent dies. If the parent (`parent_pid`, when given) is
    already gone, end at once: the request would never fire."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


def child_dies_with_us(signum: int = signal.SIGTERM):
    """A `preexec_fn` for subprocess.Popen: the child gets `signum` when the calling process dies. The kernel
    sends it when the *thread* that started the child ends: call Popen from a thread that lives as long as the
    process (the main thread)."""
    parent = os.getpid()

    def arm():
        die_with_parent(signum, parent)
    return arm
