"""`vorort run`: every process of a Procfile, with honcho's manager (prefixed output; when one process ends,
all are stopped), arranged so that no process outlives the run, however the run ends.

honcho starts each Procfile command in its own session, so a SIGKILL of `make run` (say, of its process
group) used to leave gunicorn, the workers and the Kafka broker running, and the next `make run` failed on
their ports and data. Here each link of the tree ends with its parent (see vorort/lifetime.py):
the runner with whoever started it (make), honcho's reader processes with the runner (SIGKILL: they hold no
state), and the Procfile processes with their reader (SIGTERM: they stop cleanly).
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from honcho import process as honcho_process
from honcho.environ import parse_procfile
import honcho.manager as honcho_manager
from honcho.manager import Manager
from honcho.printer import Printer

from vorort.lifetime import child_dies_with_us, die_with_parent

STOP_GRACE_S = 30  # from SIGTERM to SIGKILL when the run stops


class _Command(honcho_process.Popen):
    """A Procfile command (`sh -c ...`, which execs it): SIGTERM when its reader process dies."""

    def __init__(self, cmd, **kwargs):
        super().__init__(cmd, preexec_fn=child_dies_with_us(signal.SIGTERM), **kwargs)


class _Process(honcho_process.Process):
    """honcho's reader of one Procfile process; it ends (SIGKILL) with the runner."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._child_ctor = _Command

    def run(self, events=None, ignore_signals=False):
        die_with_parent(signal.SIGKILL)
        super().run(events, ignore_signals)


def on_cluster(processes: dict[str, str], nodes: int) -> dict[str, str]:
    """The Procfile's commands for a `nodes`-node Kafka cluster: the broker line starts the cluster, and each
    service process first takes its own SASL/SCRAM principal's settings (`vorort kafka env SERVICE`)."""
    arranged = {}
    for name, command in processes.items():
        service, _, kind = name.rpartition("_")
        if name == "kafka":
            command = f"{command} --nodes {nodes}"
        elif kind in ("web", "worker") and command.startswith("exec "):
            command = f'eval "$(.venv/bin/vorort kafka env {service})" && {command}'
        arranged[name] = command
    return arranged


def run(procfile: Path, app_root: Path, kafka_nodes: int = 1) -> int:
    die_with_parent(signal.SIGTERM)  # honcho's own handler then stops every process cleanly
    processes = parse_procfile(procfile.read_text()).processes
    if kafka_nodes > 1:
        processes = on_cluster(processes, kafka_nodes)
    # honcho waits 5 s after its SIGTERM before it SIGKILLs; on a busy machine Kafka's controlled shutdown
    # and gunicorn's graceful stop take longer (seen: the broker and half the services SIGKILLed at Ctrl-C).
    honcho_manager.KILL_WAIT = STOP_GRACE_S
    manager = Manager(Printer(sys.stdout))
    manager._process_ctor = _Process  # the class honcho 2's Manager builds its processes with (private;
    # tests/integration/test_make_run_lifetime.py notices when a honcho release changes it)
    for name, command in processes.items():
        manager.add_process(f"{name}.1", command, env=os.environ.copy(), cwd=str(app_root))
    manager.loop()
    return manager.returncode or 0
