"""A single-node Apache Kafka broker in KRaft mode, for development and CI.

The jars come from Maven Central through `deploy/kafka/pom.xml` (pinned versions), copied to
var/kafka/libs. `start()` writes a config, formats the storage once, starts the JVM, waits until the
broker answers, and returns a handle that stops it cleanly (SIGTERM, then SIGKILL after a grace period).

The JVM never outlives the process that started it: it asks the kernel for SIGTERM when its parent dies
(Linux `PR_SET_PDEATHSIG`), so a launcher killed with SIGKILL leaves no broker behind. A start refuses,
naming the process, when the port or the data directory is already taken; `stop_running()` ends a
broker that holds a data directory (`vorort kafka stop`).
"""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.config import REPO_ROOT, var_dir
from vorort.lifetime import child_dies_with_us

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
STOPPING_MARKER = "broker.stopping"

LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka.server.KafkaServer
logger.kafka.level = INFO
"""


def libs_dir() -> Path:
    """The jars are shared by every broker this checkout starts, tests included (they use another var/)."""
    return Path(os.environ.get("VORORT_KAFKA_LIBS") or REPO_ROOT / "var" / "kafka" / "libs")


def fetch(quiet: bool = True) -> Path:
    """Copy the pinned broker jars into var/kafka/libs with Maven (once; later calls are no-ops)."""
    libs = libs_dir()
    marker = libs / ".complete"
    if marker.exists() and marker.read_text() == POM.read_text():
        return libs
    command = ["mvn", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-Dkafka.libs={libs}"]
    if quiet:
        command.insert(1, "-q")
    subprocess.run(command, check=True)
    marker.write_text(POM.read_text())
    return libs


class BrokerBusy(RuntimeError):
    """The port or the data directory is held by another process: nothing was started."""


def new_cluster_id() -> str:
    """A random cluster id as Kafka's own `random-uuid` makes it: the URL-safe base64 of a UUID, never
    starting with `-` (a command line would take such an id for an option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def terminate(process: subprocess.Popen, grace_s: float = 20.0) -> None:
    """SIGTERM (a broker shuts down cleanly), SIGKILL after the grace period."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Broker:
    process: subprocess.Popen
    port: int
    controller_port: int
    data_dir: Path
    log_path: Path

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, grace_s: float = 20.0) -> None:
        if self.process.poll() is not None:
            return
        # While the broker shuts down, a new start on this data directory waits for it instead of refusing.
        marker = self.data_dir.parent / STOPPING_MARKER
        marker.write_text(str(self.process.pid))
        try:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        finally:
            marker.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: used by the fault tests."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _write_config(directory: Path, port: int, controller_port: int, data_dir: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "server.properties"
    config.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={data_dir}",
        "num.partitions=3",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "group.min.session.timeout.ms=1000",
        "auto.create.topics.enable=true",
        "log.retention.hours=-1",
        "",
    ]))
    (directory / "log4j2.properties").write_text(LOG4J2)
    return config


def _format_storage(libs: Path, home: Path, config: Path, cluster_id: str) -> None:
    # `--cluster-id=ID` in one argument: an id that starts with `-` stays a value, never an option.
    subprocess.run(_java(libs, home, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",
                         "--config", str(config), heap="256m"), check=True, stdout=subprocess.DEVNULL)


def _describe(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"pid {pid}"
    words = command.split()
    if "kafka.Kafka" in words:  # a JVM's class path is long; its main class and config say what it is
        command = "java ... " + " ".join(words[words.index("kafka.Kafka"):])
    return f"pid {pid} ({command.strip()[:200]})"


def _socket_owner(inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == target:
                    return int(proc.name)
        except OSError:
            continue
    return None


def port_holder(port: int) -> int | None:
    """The pid listening on a local TCP port (Linux /proc), or None."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                owner = _socket_owner(fields[9])
                if owner is not None:
                    return owner
    return None


def data_dir_holder(data_dir: Path) -> int | None:
    """The pid of the broker that holds the data directory's lock file (Linux /proc/locks), or None."""
    try:
        inode = (data_dir / ".lock").stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a waiter, not the holder
            continue
        if len(fields) >= 6 and fields[5].rsplit(":", 1)[-1] == str(inode):
            return int(fields[4])
    return None


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (state, parent pid, ...); empty when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _refuse_if_taken(port: int, data_dir: Path, settle_s: float = 30.0) -> None:
    """Raise BrokerBusy naming the process that holds the data directory or the port. A broker of this data
    directory that is stopping (its launcher is gone, or is stopping it) gets `settle_s` to finish."""
    holder = data_dir_holder(data_dir)
    if holder is not None and (_parent(holder) == 1 or (data_dir.parent / STOPPING_MARKER).exists()):
        _wait_gone(holder, settle_s)
    holder = data_dir_holder(data_dir)
    if holder is not None:
        raise BrokerBusy(
            f"Kafka cannot start: its data directory {data_dir} is in use by {_describe(holder)}. "
            f"Stop that broker with `vorort kafka stop` (or `kill {holder}`), then start again.")
    holder = port_holder(port)
    if holder is None and port_open("127.0.0.1", port):
        raise BrokerBusy(f"Kafka cannot start: port {port} is taken by another process.")
    if holder is not None:
        raise BrokerBusy(
            f"Kafka cannot start: port {port} is taken by {_describe(holder)}. Stop that process "
            f"(`kill {holder}`; for a broker of this checkout `vorort kafka stop`) or choose another port.")


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def stop_running(home: Path | None = None, grace_s: float = 30.0) -> int | None:
    """End the broker that holds `home`'s data directory (default var/kafka/node): SIGTERM, then SIGKILL
    after `grace_s`. Returns its pid, or None when no broker holds it."""
    data_dir = (home or var_dir() / "kafka" / "node") / "data"
    pid = data_dir_holder(data_dir)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, grace_s):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 10.0)
    return pid


def _java(libs: Path, config_dir: Path, *args: str, heap: str = "512m") -> list[str]:
    return ["java", f"-Xmx{heap}", f"-Xms{heap}", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={config_dir / 'log4j2.properties'}",
            "-cp", f"{libs}/*", *args]


def start(home: Path | None = None, port: int = 9092, controller_port: int | None = None,
          wait_s: float = 240.0) -> Broker:
    """Start a broker whose data lives under `home` (default var/kafka/node); format it on first use."""
    libs = fetch()
    home = home or var_dir() / "kafka" / "node"
    controller_port = controller_port or free_port()
    data_dir = home / "data"
    _refuse_if_taken(port, data_dir)
    config = _write_config(home, port, controller_port, data_dir)
    if not (data_dir / "meta.properties").exists():
        _format_storage(libs, home, config, new_cluster_id())
    log_path = home / "broker.log"
    log = open(log_path, "ab")
    # Its own session keeps a terminal's Ctrl-C for the launcher (which stops the broker cleanly); the death
    # signal ends the broker when the launcher is gone, whatever ended it. The kernel sends it when the
    # *thread* that started the child ends, so it is armed only from the main thread (whose end is the
    # process's); a broker started from another thread is stopped by its handle, as before.
    main_thread = threading.current_thread() is threading.main_thread()
    process = subprocess.Popen(_java(libs, home, "kafka.Kafka", str(config)), stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=child_dies_with_us(signal.SIGTERM) if main_thread else None)
    broker = Broker(process, port, controller_port, data_dir, log_path)
    deadline = time.monotonic() + wait_s
    while not port_open("127.0.0.1", port):
        if process.poll() is not None:
            raise RuntimeError(f"Kafka exited with {process.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            broker.stop()
            raise RuntimeError(f"Kafka did not answer on port {port} within {wait_s}s; see {log_path}")
        time.sleep(0.2)
    _wait_for_metadata(broker.bootstrap_servers, deadline)
    return broker


def _wait_for_metadata(bootstrap: str, deadline: float) -> None:
    """The port opens before the broker serves metadata; wait for a real answer."""
    from kafka import KafkaAdminClient

    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=5000)
            admin.list_topics()
            admin.close()
            return
        except Exception:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def restart(broker: Broker, wait_s: float = 240.0) -> Broker:
    """Start again on the same data and ports (after `kill()` or `stop()`)."""
    return start(broker.data_dir.parent, broker.port, broker.controller_port, wait_s)


def run_foreground(port: int = 9092) -> None:
    """`vorort kafka start`: run until Ctrl-C or SIGTERM, then stop the broker cleanly."""
    try:
        broker = start(port=port)
    except BrokerBusy as refused:
        print(refused, file=sys.stderr, flush=True)
        os._exit(2)
    print(f"Kafka {broker.bootstrap_servers} is up (KRaft, single node); log: {broker.log_path}", flush=True)
    stopping = {"now": False}

    def _stop(*_):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping["now"] and broker.process.poll() is None:
        time.sleep(0.5)
    broker.stop()
    os._exit(0 if stopping["now"] else 1)
