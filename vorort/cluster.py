"""A three-node Apache Kafka cluster in KRaft mode on loopback, from the same jars as the single broker.

Every node is broker and controller. The quorum is dynamic (KIP-853): the nodes find it through
`controller.quorum.bootstrap.servers`, and the storage of each is formatted once with
`--initial-controllers` naming all three (node id, controller endpoint, metadata directory id).
Replication factor 3 and `min.insync.replicas=2` for every topic, the internal ones included, so the
cluster keeps taking acknowledged writes (`acks=all`) with one node down and loses none of them.

Security: no listener is PLAINTEXT. Clients and brokers authenticate with SASL/SCRAM-SHA-512 (credentials
written into the metadata log when the storage is formatted); the controllers talk SASL/PLAIN among
themselves. The StandardAuthorizer denies what no ACL allows. There is one principal per service, with the
ACLs that deploy/helm/vorort/values.yaml declares for the Kubernetes deployment (one source for both): a
service writes only the topics it produces and reads only what its consumer groups read. Passwords are
generated on first start and kept in `<home>/credentials.json` (mode 0600), the clients' source
(`vorort kafka env SERVICE`).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from shared.config import REPO_ROOT, var_dir
from vorort.broker import (LOG4J2, BrokerBusy, _java, _refuse_if_taken, fetch, free_port, new_cluster_id, port_open,
                           terminate)
from vorort.lifetime import child_dies_with_us

VALUES = REPO_ROOT / "deploy" / "helm" / "vorort" / "values.yaml"
MECHANISM = "SCRAM-SHA-512"
ADMIN = "cluster-admin"  # the super user; the admin service has its own principal, "admin"
PARTITIONS = 3


def default_home() -> Path:
    return var_dir() / "kafka" / "cluster"


# --- principals and ACLs, from the chart's values ---------------------------------------------------------
def service_principals(values_path: Path = VALUES) -> dict[str, dict]:
    """Each service's Kafka needs, as the chart declares them: {service: {produces, groups, operator}}."""
    values = yaml.safe_load(values_path.read_text())
    defaults = values["serviceDefaults"]["kafka"]
    found = {}
    for name, entry in values["services"].items():
        kafka = {**defaults, **(entry.get("kafka") or {})}
        found[name] = {"produces": list(kafka.get("produces") or []), "groups": dict(kafka.get("groups") or {}),
                       "operator": bool(kafka.get("operator"))}
    return found


def topics_of(principals: dict[str, dict]) -> list[str]:
    """Every topic the services use: what they produce, what their groups read, each group's dead letters."""
    topics = set()
    for needs in principals.values():
        topics.update(needs["produces"])
        for group, read in needs["groups"].items():
            topics.update(read)
            topics.add(f"{group}.dlq")
    return sorted(topics)


def acls_for(service: str, needs: dict) -> list[tuple[str, str, str, str]]:
    """(resource type, name, pattern type, operation) allowed for the service's principal."""
    acls = [("cluster", "kafka-cluster", "literal", op) for op in ("IdempotentWrite", "Describe")]
    for topic in needs["produces"]:
        acls += [("topic", topic, "literal", op) for op in ("Write", "Describe")]
    for group, read in needs["groups"].items():
        for topic in read:
            acls += [("topic", topic, "literal", op) for op in ("Read", "Describe")]
        acls += [("group", group, "literal", op) for op in ("Read", "Describe")]
        acls += [("topic", f"{group}.dlq", "literal", op) for op in ("Write", "Describe")]
    if needs["operator"]:
        acls += [("topic", "*", "literal", op) for op in ("Read", "Describe")]
        acls += [("group", "*", "literal", "Describe")]
    return acls


# --- the cluster ----------------------------------------------------------------------------------------
@dataclass
class Node:
    node_id: int
    port: int
    controller_port: int
    home: Path
    process: subprocess.Popen | None = None

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_path(self) -> Path:
        return self.home / "broker.log"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Cluster:
    home: Path
    nodes: list[Node]
    credentials: dict[str, str]
    principals: dict[str, dict] = field(default_factory=dict)

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def node(self, node_id: int) -> Node:
        return next(node for node in self.nodes if node.node_id == node_id)

    # clients
    def client_settings(self, principal: str = ADMIN) -> dict:
        """kafka-python keyword arguments for one principal."""
        return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": MECHANISM,
                "sasl_plain_username": principal, "sasl_plain_password": self.credentials[principal]}

    def client_env(self, principal: str) -> dict[str, str]:
        """The environment a service's processes read (shared.config.kafka_security)."""
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM": MECHANISM, "KAFKA_SASL_USERNAME": principal,
                "KAFKA_SASL_PASSWORD": self.credentials[principal]}

    def admin(self, **overrides):
        from shared.kafka import make_admin

        return make_admin(self.bootstrap_servers, "vorort-cluster-admin",
                          **{**self.client_settings(ADMIN), **overrides})

    # nodes
    def launch_node(self, node_id: int) -> Node:
        """Start a node's JVM (it needs a quorum of controllers before it opens its client port)."""
        node = self.node(node_id)
        if node.running():
            return node
        _refuse_if_taken(node.port, node.data_dir)
        log = open(node.log_path, "ab")
        node.process = subprocess.Popen(
            _java(fetch(), node.home, "kafka.Kafka", str(node.home / "server.properties")), stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            # the death signal is armed only from the main thread (see vorort/broker.py)
            preexec_fn=child_dies_with_us(signal.SIGTERM) if threading.current_thread() is threading.main_thread()
            else None)
        return node

    def wait_for_ports(self, node_ids: list[int], wait_s: float = 120.0) -> None:
        deadline = time.monotonic() + wait_s
        for node in (self.node(i) for i in node_ids):
            process = node.process
            if process is None:
                raise RuntimeError(f"Kafka node {node.node_id} was never launched")
            while not port_open("127.0.0.1", node.port):
                if process.poll() is not None:
                    raise RuntimeError(f"Kafka node {node.node_id} exited with {process.returncode}; "
                                       f"see {node.log_path}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kafka node {node.node_id} did not answer within {wait_s}s; "
                                       f"see {node.log_path}")
                time.sleep(0.2)

    def start_node(self, node_id: int, wait_s: float = 120.0) -> Node:
        """Start one node again (the others are running): it rejoins the quorum and catches up."""
        node = self.launch_node(node_id)
        self.wait_for_ports([node_id], wait_s)
        return node

    def kill_node(self, node_id: int) -> None:
        """SIGKILL, as a crash would."""
        node = self.node(node_id)
        if node.running() and node.process is not None:
            node.process.kill()
            node.process.wait()

    def stop_node(self, node_id: int, grace_s: float = 30.0) -> None:
        node = self.node(node_id)
        if node.process is not None:
            terminate(node.process, grace_s)

    def stop(self) -> None:
        for node in self.nodes:
            if node.running() and node.process is not None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            self.stop_node(node.node_id)

    # state
    def partitions(self, topic: str) -> list[dict]:
        """[{partition, leader, replicas, isr}] from the cluster's metadata."""
        admin = self.admin()
        try:
            (described,) = admin.describe_topics([topic])
        finally:
            admin.close()
        return sorted(({"partition": p["partition_index"], "leader": p["leader_id"],
                        "replicas": list(p["replica_nodes"]), "isr": list(p["isr_nodes"])}
                       for p in described["partitions"]), key=lambda p: p["partition"])

    def fully_replicated(self, topics: list[str]) -> bool:
        """Every partition of the topics has a leader and all three replicas in sync."""
        try:
            return all(p["leader"] >= 0 and len(p["isr"]) == len(self.nodes)
                       for topic in topics for p in self.partitions(topic))
        except Exception:  # noqa: BLE001 - a node coming back may answer metadata with errors for a while
            return False

    def wait_until(self, check, timeout_s: float, what: str) -> float:
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > timeout_s:
                raise RuntimeError(f"{what} not reached within {timeout_s}s")
            time.sleep(0.5)
        return time.monotonic() - started

    def create_topics(self, topics: list[str], partitions: int = PARTITIONS) -> None:
        """As the super user, with the cluster's replication factor (3) and min.insync.replicas (2)."""
        from shared.kafka import ensure_topics

        ensure_topics(self.bootstrap_servers, topics, partitions=partitions, security=self.client_settings(ADMIN))

    def grant(self, principal: str, acls: list[tuple[str, str, str, str]]) -> None:
        from kafka.admin import (ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern,
                                 ResourceType)

        kinds = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.CLUSTER}
        patterns = {"literal": ACLResourcePatternType.LITERAL, "prefix": ACLResourcePatternType.PREFIXED}
        operations = {"Read": ACLOperation.READ, "Write": ACLOperation.WRITE, "Describe": ACLOperation.DESCRIBE,
                      "IdempotentWrite": ACLOperation.IDEMPOTENT_WRITE, "Create": ACLOperation.CREATE}
        admin = self.admin()
        try:
            result = admin.create_acls([
                ACL(principal=f"User:{principal}", host="*", operation=operations[operation],
                    permission_type=ACLPermissionType.ALLOW,
                    resource_pattern=ResourcePattern(kinds[kind], name, patterns[pattern]))
                for kind, name, pattern, operation in acls])
            if result.get("failed"):
                raise RuntimeError(f"ACLs for {principal} refused: {result['failed']}")
        finally:
            admin.close()

    def provision(self) -> None:
        """Topics (replication factor 3) and every service principal's ACLs."""
        self.create_topics(topics_of(self.principals))
        for service, needs in self.principals.items():
            self.grant(service, acls_for(service, needs))


def _uuid() -> str:
    """A Kafka Uuid as its tools print it (URL-safe base64, no padding, never starting with '-')."""
    return new_cluster_id()


def _node_config(node: Node, nodes: list[Node], admin_password: str) -> str:
    quorum = ",".join(f"127.0.0.1:{n.controller_port}" for n in nodes)
    scram_jaas = ("org.apache.kafka.common.security.scram.ScramLoginModule required "
                  f'username="{ADMIN}" password="{admin_password}";')
    plain_jaas = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
                  f'username="{ADMIN}" password="{admin_password}" user_{ADMIN}="{admin_password}";')
    lines = [
        "process.roles=broker,controller",
        f"node.id={node.node_id}",
        f"controller.quorum.bootstrap.servers={quorum}",
        f"listeners=SASL_PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        f"listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config={scram_jaas}",
        "sasl.mechanism.controller.protocol=PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        f"listener.name.controller.plain.sasl.jaas.config={plain_jaas}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{ADMIN}",
        "allow.everyone.if.no.acl.found=false",
        f"log.dirs={node.data_dir}",
        f"num.partitions={PARTITIONS}",
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "unclean.leader.election.enable=false",
        "offsets.topic.replication.factor=3",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=3",
        "transaction.state.log.min.isr=2",
        "share.coordinator.state.topic.replication.factor=3",
        "share.coordinator.state.topic.min.isr=2",
        "group.initial.rebalance.delay.ms=0",
        "group.min.session.timeout.ms=1000",
        "auto.create.topics.enable=false",
        "log.retention.hours=-1",
        # a killed node's partitions move quickly: the controller fences a broker after 6 s of silence
        "broker.session.timeout.ms=6000",
        "broker.heartbeat.interval.ms=1000",
        "",
    ]
    return "\n".join(lines)


def _load_layout(home: Path) -> dict | None:
    path = home / "cluster.json"
    return json.loads(path.read_text()) if path.exists() else None


def start_cluster(home: Path | None = None, nodes: int = 3, base_port: int | None = None,
                  wait_s: float = 180.0, values_path: Path = VALUES) -> Cluster:
    """Start (formatting on first use) `nodes` combined broker-controller nodes under `home`; client ports
    `base_port`, `base_port + 1`, ... (default: free ports, kept in <home>/cluster.json for restarts)."""
    if nodes < 3:
        raise ValueError("a replicated cluster needs three nodes (replication factor 3, min.insync.replicas 2)")
    libs = fetch()
    home = home or default_home()
    home.mkdir(parents=True, exist_ok=True)
    layout = _load_layout(home)
    if layout is None:
        layout = {"cluster_id": new_cluster_id(),
                  "nodes": [{"node_id": i + 1, "port": (base_port + i) if base_port else free_port(),
                             "controller_port": free_port(), "directory_id": _uuid()} for i in range(nodes)]}
        credentials = {ADMIN: secrets.token_urlsafe(24)}
        credentials.update({name: secrets.token_urlsafe(24) for name in service_principals(values_path)})
        (home / "cluster.json").write_text(json.dumps(layout, indent=1))
        credentials_path = home / "credentials.json"
        credentials_path.touch(mode=0o600)
        credentials_path.write_text(json.dumps(credentials, indent=1))
    credentials = json.loads((home / "credentials.json").read_text())
    cluster_nodes = [Node(n["node_id"], n["port"], n["controller_port"], home / f"node-{n['node_id']}")
                     for n in layout["nodes"]]
    cluster = Cluster(home, cluster_nodes, credentials, service_principals(values_path))
    initial = ",".join(f"{n['node_id']}@127.0.0.1:{n['controller_port']}:{n['directory_id']}" for n in layout["nodes"])
    for node in cluster_nodes:
        node.home.mkdir(parents=True, exist_ok=True)
        config = node.home / "server.properties"
        config.write_text(_node_config(node, cluster_nodes, credentials[ADMIN]))
        (node.home / "log4j2.properties").write_text(LOG4J2)
        if not (node.data_dir / "meta.properties").exists():
            scram = []
            for name, password in credentials.items():
                scram += ["--add-scram", f"{MECHANISM}=[name={name},password={password}]"]
            subprocess.run(_java(libs, node.home, "kafka.tools.StorageTool", "format",
                                 f"--cluster-id={layout['cluster_id']}", f"--initial-controllers={initial}",
                                 "--config", str(config), *scram, heap="256m"),
                           check=True, stdout=subprocess.DEVNULL)
    try:
        for node in cluster_nodes:
            cluster.launch_node(node.node_id)
        cluster.wait_for_ports([node.node_id for node in cluster_nodes], wait_s)
        cluster.wait_until(lambda: _answers(cluster), wait_s, "the cluster serving metadata")
        cluster.provision()
        cluster.wait_until(lambda: cluster.fully_replicated(topics_of(cluster.principals)), wait_s,
                           "every partition replicated three times")
    except Exception:
        cluster.stop()
        raise
    return cluster


def _answers(cluster: Cluster) -> bool:
    try:
        admin = cluster.admin(request_timeout_ms=5000)
        try:
            admin.list_topics()
            return len(admin.describe_cluster()["brokers"]) == len(cluster.nodes)
        finally:
            admin.close()
    except Exception:  # noqa: BLE001
        return False


def load(home: Path | None = None) -> Cluster:
    """The cluster of `home` as its files describe it (to read credentials; nothing is started)."""
    home = home or default_home()
    layout = _load_layout(home)
    if layout is None:
        raise FileNotFoundError(f"no cluster under {home}: start it with `vorort kafka start --nodes 3`")
    nodes = [Node(n["node_id"], n["port"], n["controller_port"], home / f"node-{n['node_id']}")
             for n in layout["nodes"]]
    return Cluster(home, nodes, json.loads((home / "credentials.json").read_text()), service_principals())


def stop_running(home: Path | None = None) -> list[int]:
    """End every node whose data directory lies under `home` (default var/kafka/cluster), also nodes left
    behind by an interrupted run: SIGTERM, then SIGKILL. Returns the pids that were ended."""
    from vorort import broker

    home = home or default_home()
    ended = [broker.stop_running(node_home) for node_home in sorted(home.glob("node-*"))]
    return [pid for pid in ended if pid is not None]


def run_foreground(nodes: int = 3, base_port: int = 9092) -> None:
    """`vorort kafka start --nodes 3`: run until Ctrl-C or SIGTERM, then stop every node cleanly."""
    try:
        cluster = start_cluster(nodes=nodes, base_port=base_port)
    except BrokerBusy as refused:
        print(refused, file=sys.stderr, flush=True)
        os._exit(2)
    print(f"Kafka cluster {cluster.bootstrap_servers} is up (KRaft, {nodes} nodes, SASL/SCRAM, RF 3, "
          f"min.insync.replicas 2); credentials: {cluster.home / 'credentials.json'}", flush=True)
    stopping = {"now": False}

    def _stop(*_):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping["now"] and all(node.running() for node in cluster.nodes):
        time.sleep(0.5)
    cluster.stop()
    os._exit(0 if stopping["now"] else 1)

