"""`make run` (`vorort run`, honcho's manager underneath) leaves no process behind, however it is ended:
its process group killed with SIGKILL (as `timeout -s KILL` does), the runner alone killed with SIGKILL, or
the process that started it (make) killed. Seen before: gunicorn, the workers and the broker lived on in
their own sessions, and the next `make run` failed on their ports."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.config import REPO_ROOT
from vorort.broker import _alive, free_port, port_open

VORORT = str(Path(sys.executable).parent / "vorort")


def _poll(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def procfile(tmp_path):
    """Two processes as the Procfile's are: one listening on a port (as gunicorn), one that only runs (as a
    worker); each notes its pid (the shell execs the command, so `$$` is the process's own pid)."""
    port = free_port()
    pids = tmp_path / "pids"
    pids.mkdir()
    path = tmp_path / "Procfile"
    path.write_text(
        f"web: echo $$ > {pids}/web && exec {sys.executable} -m http.server --bind 127.0.0.1 {port}\n"
        f"worker: echo $$ > {pids}/worker && exec {sys.executable} -c 'import time; time.sleep(900)'\n")
    return path, pids, port


def _start(procfile_path: Path, *, via_parent: bool) -> tuple[subprocess.Popen, int]:
    """Start `vorort run` in its own process group (as a shell runs `make run`); with `via_parent`, under a
    parent process that stands for make. Returns the top process and the runner's pid."""
    command = [VORORT, "run", "--procfile", str(procfile_path)]
    if via_parent:
        script = ("import subprocess, sys, time; p = subprocess.Popen(sys.argv[1:]); print(p.pid, flush=True); "
                  "time.sleep(900)")
        top = subprocess.Popen([sys.executable, "-c", script, *command], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
        return top, int(top.stdout.readline())
    top = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return top, top.pid


@pytest.mark.parametrize("how", ["process group SIGKILL", "runner SIGKILL", "parent (make) SIGKILL"])
def test_no_procfile_process_outlives_a_killed_run(procfile, how):
    path, pids, port = procfile
    top, runner = _start(path, via_parent=how.startswith("parent"))
    try:
        _poll(lambda: port_open("127.0.0.1", port) and (pids / "worker").exists(), 90, "both processes up")
        started = {name: int((pids / name).read_text()) for name in ("web", "worker")}
        assert all(_alive(pid) for pid in started.values())
        if how == "process group SIGKILL":
            os.killpg(top.pid, signal.SIGKILL)
        elif how == "runner SIGKILL":
            os.kill(runner, signal.SIGKILL)
        else:
            os.kill(top.pid, signal.SIGKILL)
        _poll(lambda: not any(_alive(pid) for pid in started.values()), 60, "every Procfile process to end")
        assert not port_open("127.0.0.1", port)
        _poll(lambda: not _alive(runner), 30, "the runner to end")
    finally:
        try:
            os.killpg(top.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        top.wait(30)
        for pid_file in pids.iterdir():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_make_run_uses_the_runner():
    makefile = (REPO_ROOT / "Makefile").read_text()
    run_target = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "vorort run" in run_target and "honcho" not in run_target


def test_every_procfile_command_is_the_process_itself():
    """honcho runs each line with `sh -c`; dash forks for a plain command, and the death signal reaches only
    the shell, not the service under it (seen: gunicorn and the workers outlived a killed run). `exec` makes
    the service the process that the signal reaches."""
    for line in (REPO_ROOT / "deploy" / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        last = command.split("&&")[-1].strip()
        assert last.startswith("exec "), f"{name}: the command must `exec` its process"


def test_the_web_processes_start_quietly():
    """Startup noise (seen: about 1,500 lines before the demo's summary): no access log, and gunicorn's own
    lines only for warnings and errors."""
    for line in (REPO_ROOT / "deploy" / "Procfile").read_text().splitlines():
        if "gunicorn" in line:
            assert "--access-logfile" not in line and "--log-level warning" in line, line


def test_make_run_on_a_cluster_gives_each_service_its_own_kafka_principal():
    """`make run KAFKA_NODES=3` is `vorort run --kafka-nodes 3`: the broker line starts three nodes, and every
    web and worker process takes its own principal's settings before it execs (the others stay as they are)."""
    from honcho.environ import parse_procfile

    from vorort.run import on_cluster

    processes = parse_procfile((REPO_ROOT / "deploy" / "Procfile").read_text()).processes
    arranged = on_cluster(processes, 3)
    assert arranged["kafka"].endswith("--nodes 3")
    assert arranged["selection_worker"] == (
        f'eval "$(.venv/bin/vorort kafka env selection)" && {processes["selection_worker"]}')
    assert arranged["identity_web"].startswith('eval "$(.venv/bin/vorort kafka env identity)" && exec ')
    assert arranged["mail"] == processes["mail"] and arranged["demo"] == processes["demo"]
    assert "--kafka-nodes $(KAFKA_NODES)" in (REPO_ROOT / "Makefile").read_text()
