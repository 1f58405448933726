"""The development broker's launcher (`vorort kafka start|stop`): cluster ids, a broker that never outlives
its launcher, and clear refusals when the port or the data directory is taken. Real JVMs, real signals."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from vorort import broker as launcher

VORORT = str(Path(sys.executable).parent / "vorort")


def _poll(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.2)


def _launch(var_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "VORORT_VAR_DIR": str(var_dir)}
    return subprocess.Popen([VORORT, "kafka", "start", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _cli(var_dir: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "VORORT_VAR_DIR": str(var_dir)}
    return subprocess.run([VORORT, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_new_cluster_ids_never_start_with_a_dash(monkeypatch):
    # 0xf8 as the first byte encodes to "-" in URL-safe base64: Kafka's own generator draws again.
    draws = iter([uuid.UUID(bytes=bytes([0xF8]) + bytes(15)), uuid.UUID(bytes=bytes([0x12]) + bytes(15))])
    with monkeypatch.context() as patched:
        patched.setattr(launcher.uuid, "uuid4", lambda: next(draws))
        assert launcher.new_cluster_id() == "EgAAAAAAAAAAAAAAAAAAAA"
    assert not any(launcher.new_cluster_id().startswith("-") for _ in range(2000))


def test_storage_formats_with_a_cluster_id_that_starts_with_a_dash(tmp_path):
    """Seen: `format -t -QXf...` failed with "expected one argument" about one time in 64."""
    home = tmp_path / "node"
    config = launcher._write_config(home, launcher.free_port(), launcher.free_port(), home / "data")
    launcher._format_storage(launcher.fetch(), home, config, "-QXfVwHnTz2mV0U3qT1y6A")
    assert "cluster.id=-QXfVwHnTz2mV0U3qT1y6A" in (home / "data" / "meta.properties").read_text()


def test_start_refuses_a_taken_port_naming_the_process(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = _cli(tmp_path, "kafka", "start", "--port", str(port), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {port} is taken by pid {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "kafka" / "node" / "data" / "meta.properties").exists()  # nothing was formatted


def test_sigkilled_launcher_leaves_no_broker_and_the_next_start_is_clean():
    var_dir = Path(tempfile.mkdtemp(prefix="vorort-launcher-"))
    data_dir = var_dir / "kafka" / "node" / "data"
    port = launcher.free_port()
    first = _launch(var_dir, port)
    try:
        assert "is up" in first.stdout.readline()
        jvm = launcher.data_dir_holder(data_dir)
        assert jvm is not None and jvm != first.pid
        assert launcher._parent(jvm) == first.pid

        # A second start on the same data directory refuses, naming the broker and how to stop it.
        refused = _cli(var_dir, "kafka", "start", "--port", str(launcher.free_port()))
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"in use by pid {jvm}" in refused.stderr and "vorort kafka stop" in refused.stderr
        # ... and so does one on the same port with another data directory.
        other = Path(tempfile.mkdtemp(prefix="vorort-launcher-other-"))
        refused = _cli(other, "kafka", "start", "--port", str(port))
        assert refused.returncode == 2 and f"port {port} is taken by pid {jvm}" in refused.stderr

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        _poll(lambda: not launcher._alive(jvm), 120, "the broker to end with its launcher")
        assert not launcher.port_open("127.0.0.1", port)
        assert launcher.data_dir_holder(data_dir) is None
    finally:
        first.kill()
        first.wait()

    second = _launch(var_dir, port)
    try:
        assert "is up" in second.stdout.readline()
        jvm = launcher.data_dir_holder(data_dir)
        stopped = _cli(var_dir, "kafka", "stop")
        assert stopped.returncode == 0 and f"pid {jvm}" in stopped.stdout
        assert not launcher._alive(jvm)
        assert second.wait(timeout=60) is not None
        assert "no Kafka broker" in _cli(var_dir, "kafka", "stop").stdout
    finally:
        second.kill()
        second.wait()
        launcher.stop_running(var_dir / "kafka" / "node")



def test_kafka_stop_ends_the_cluster_nodes_left_behind(tmp_path):
    """`vorort kafka stop` finds a node by the lock on its data directory (as Kafka holds it), for the
    single broker and for every node of a `--nodes 3` cluster that an interrupted run left behind."""
    holders = []
    for node in ("node-1", "node-2", "node-3"):
        data = tmp_path / "kafka" / "cluster" / node / "data"
        data.mkdir(parents=True)
        script = ("import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.lockf(f, fcntl.LOCK_EX); "
                  "print('locked', flush=True); time.sleep(600)")
        holder = subprocess.Popen([sys.executable, "-c", script, str(data / ".lock")], stdout=subprocess.PIPE,
                                  text=True)
        assert holder.stdout.readline().strip() == "locked"
        holders.append(holder)
    try:
        assert {launcher.data_dir_holder(tmp_path / "kafka" / "cluster" / n / "data") for n in
                ("node-1", "node-2", "node-3")} == {h.pid for h in holders}
        result = _cli(tmp_path, "kafka", "stop", timeout=120)
        assert result.returncode == 0, result.stderr
        assert "stopped 3 cluster node(s)" in result.stdout
        for holder in holders:
            assert holder.wait(timeout=60) == -signal.SIGTERM
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
