"""A single-node Apache Kafka broker in KRaft mode, for development and CI.

The jars come from Maven Central through `deploy/kafka/pom.xml` (pinned versions), copied to
var/kafka/libs. `start()` writes a config, formats the storage once, starts the JVM, waits until the
broker answers, and returns a handle that stops it cleanly (SIGTERM, then SIGKILL after a grace period).
"""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.config import REPO_ROOT, var_dir

POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"

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
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

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


def _java(libs: Path, config_dir: Path, *args: str, heap: str = "512m") -> list[str]:
    return ["java", f"-Xmx{heap}", f"-Xms{heap}", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={config_dir / 'log4j2.properties'}",
            "-cp", f"{libs}/*", *args]


def start(home: Path | None = None, port: int = 9092, controller_port: int | None = None,
          wait_s: float = 90.0) -> Broker:
    """Start a broker whose data lives under `home` (default var/kafka/node); format it on first use."""
    libs = fetch()
    home = home or var_dir() / "kafka" / "node"
    controller_port = controller_port or free_port()
    data_dir = home / "data"
    config = _write_config(home, port, controller_port, data_dir)
    if not (data_dir / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(_java(libs, home, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config),
                             heap="256m"), check=True, stdout=subprocess.DEVNULL)
    log_path = home / "broker.log"
    log = open(log_path, "ab")
    process = subprocess.Popen(_java(libs, home, "kafka.Kafka", str(config)), stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
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


def restart(broker: Broker, wait_s: float = 90.0) -> Broker:
    """Start again on the same data and ports (after `kill()` or `stop()`)."""
    return start(broker.data_dir.parent, broker.port, broker.controller_port, wait_s)


def run_foreground(port: int = 9092) -> None:
    """`vorort kafka start`: run until Ctrl-C or SIGTERM, then stop the broker cleanly."""
    broker = start(port=port)
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
