"""The Helm chart under deploy/helm/vorort, rendered with `helm template` and validated OFFLINE:

- every rendered Kubernetes object against the API's own JSON schemas in strict mode (kubeconform with
  the schemas that the PyPI package kubernetes-validate ships; unknown fields are errors);
- the custom resources (Strimzi, CloudNativePG) against deploy/helm/crd-schemas (the fields the operators
  document, closed objects), and here for what the platform needs from them;
- what the issue asks of the rendered output: probes, resources, PDB, HPA, NetworkPolicies, Secrets by
  reference, migrations as a hook Job, per-service Kafka principals whose ACLs match the event catalogue.

helm and kubeconform are built with `go install` by .ci/run (cached in GOPATH); missing tools are an
error, never a skip.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from shared.config import REPO_ROOT, SERVICE_PORTS
from shared.events.catalogue import TOPICS

CHART = REPO_ROOT / "deploy" / "helm" / "vorort"
CRD_SCHEMAS = REPO_ROOT / "deploy" / "helm" / "crd-schemas"
KUBERNETES_VERSION = "1.33.0"


def tool(name: str) -> str:
    gopath_bin = Path(subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True).stdout.strip()
                      or Path.home() / "go") / "bin" / name if shutil.which("go") else None
    found = shutil.which(name) or (str(gopath_bin) if gopath_bin and gopath_bin.exists() else None)
    if not found:
        pytest.fail(f"{name} is not installed: .ci/run builds it with `go install` (see deploy/README.md)")
    return found


def render(*extra: str) -> str:
    result = subprocess.run([tool("helm"), "template", "vorort", str(CHART), "--namespace", "vorort",
                             "--kube-version", KUBERNETES_VERSION, *extra],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, list[dict]]:
    text = render()
    path = tmp_path_factory.mktemp("helm") / "rendered.yaml"
    path.write_text(text)
    return path, [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="session")
def kubernetes_schemas(tmp_path_factory) -> Path:
    """kubernetes-validate's strict schemas for one Kubernetes version, readable offline by kubeconform: the
    package's schemas carry an `$id` under https://kubernetes.io/api/ and refer to `/api/_definitions.json`
    (its own resolver maps that URL to the file); kubeconform would fetch it. The copies drop the `$id` and
    refer to the definitions file beside them. Nothing else changes."""
    import kubernetes_validate

    source = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
              / f"v{KUBERNETES_VERSION}-local-strict")
    target = tmp_path_factory.mktemp("kubernetes-schemas")
    for schema in source.glob("*.json"):
        document = json.loads(schema.read_text())
        document.pop("$id", None)
        (target / schema.name).write_text(json.dumps(document).replace('"/api/_definitions.json#', '"_definitions.json#'))
    return target


def kubeconform(path: Path, schemas: Path) -> subprocess.CompletedProcess:
    return subprocess.run([
        tool("kubeconform"), "-strict", "-summary", "-output", "json",
        "-kubernetes-version", KUBERNETES_VERSION,
        "-schema-location", f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        "-schema-location", f"{CRD_SCHEMAS}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
        str(path)], capture_output=True, text=True)


def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind, name):
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert found, f"no {kind} {name}"
    return found[0]


def test_rendered_chart_validates_strictly_against_kubernetes_and_operator_schemas(rendered, kubernetes_schemas):
    path, docs = rendered
    result = kubeconform(path, kubernetes_schemas)
    summary = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(summary.get("resources"), indent=1)[:4000]
    counts = summary["summary"]
    # every object was validated against a schema: none skipped for want of one
    assert counts["valid"] == len(docs) and counts["skipped"] == 0 and counts["invalid"] == 0, counts
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Job",
            "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster"} <= kinds


def test_strict_validation_refuses_an_unknown_field_and_a_wrong_operator_field(rendered, kubernetes_schemas,
                                                                              tmp_path):
    """The validation can fail for the right reason: a typo in a Deployment and in each operator's resource."""
    _, docs = rendered
    for kind, mutate in [
        ("Deployment", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(readinessprobe={})),
        ("Kafka", lambda d: d["spec"]["kafka"]["listeners"][0].update(type="external")),  # not a listener type
        ("KafkaNodePool", lambda d: d["spec"].update(roles=["broker", "zookeeper"])),
        ("KafkaUser", lambda d: d["spec"]["authorization"]["acls"][0].update(operations=["Publish"])),
        ("Cluster", lambda d: d["spec"].pop("instances")),
    ]:
        broken = json.loads(json.dumps(of_kind(docs, kind)[0]))
        mutate(broken)
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump(broken))
        result = kubeconform(path, kubernetes_schemas)
        assert result.returncode != 0, f"{kind} with a wrong field passed validation"
        assert json.loads(result.stdout)["summary"]["invalid"] == 1, result.stdout  # refused, not unreadable


def test_every_service_has_web_and_worker_with_probes_resources_and_referenced_secrets(rendered):
    _, docs = rendered
    services = sorted(SERVICE_PORTS)
    for service in services:
        web = named(docs, "Deployment", f"{service}-web")
        container = web["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"][0]["containerPort"] == SERVICE_PORTS[service]
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert f"services.{service}.app:create_app()" in container["args"]
        workers = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == f"{service}-worker"]
        if service != "admin":  # admin is HTTP only
            worker = workers[0]["spec"]["template"]["spec"]["containers"][0]
            assert worker["command"] == ["vorort", "worker", service]
            assert worker["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert worker["resources"]["limits"]["memory"]
        for deployment in [web] + workers:
            for env in deployment["spec"]["template"]["spec"]["containers"][0]["env"]:
                if any(word in env["name"] for word in ("SECRET", "PASSWORD", "DATABASE_URL", "SMTP_URL")):
                    assert "value" not in env and "secretKeyRef" in env["valueFrom"], env
    assert not of_kind(docs, "Secret"), "the chart must reference Secrets, never carry them"


def test_web_tier_has_a_disruption_budget_and_an_autoscaler(rendered):
    _, docs = rendered
    for service in SERVICE_PORTS:
        pdb = named(docs, "PodDisruptionBudget", f"{service}-web")
        assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
        hpa = named(docs, "HorizontalPodAutoscaler", f"{service}-web")
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"{service}-web"
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


def test_migrations_run_as_a_helm_hook_job_against_the_service_database(rendered):
    _, docs = rendered
    for service in SERVICE_PORTS:
        job = named(docs, "Job", f"{service}-migrate")
        assert "pre-upgrade" in job["metadata"]["annotations"]["helm.sh/hook"]
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["vorort", "migrate", service]
        (url,) = [e for e in container["env"] if e["name"] == f"{service.upper()}_DATABASE_URL"]
        assert url["valueFrom"]["secretKeyRef"]["name"] == f"{service}-db-app"


def test_identitys_migration_and_service_get_the_keys_that_seal_its_signing_keys(rendered):
    _, docs = rendered
    job = named(docs, "Job", "identity-migrate")["spec"]["template"]["spec"]["containers"][0]
    web = named(docs, "Deployment", "identity-web")["spec"]["template"]["spec"]["containers"][0]
    for container in (job, web):
        (keys,) = [e for e in container["env"] if e["name"] == "IDENTITY_KEY_ENCRYPTION_KEYS"]
        assert keys["valueFrom"]["secretKeyRef"]["key"] == "IDENTITY_KEY_ENCRYPTION_KEYS"


def egress_targets(policy) -> list[dict]:
    return [peer for rule in policy["spec"].get("egress", []) for peer in rule.get("to", []) if "ipBlock" not in peer]


def test_network_policies_let_services_reach_only_kafka_their_database_and_declared_apis(rendered):
    _, docs = rendered
    deny = named(docs, "NetworkPolicy", "vorort-default-deny")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny["spec"]
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for service in SERVICE_PORTS:
        for component in ("web", "worker"):
            policies = [d for d in of_kind(docs, "NetworkPolicy") if d["metadata"]["name"] == f"{service}-{component}"]
            if not policies:
                assert component == "worker" and service == "admin"
                continue
            peers = egress_targets(policies[0])
            selectors = [peer["podSelector"]["matchLabels"] for peer in peers if "podSelector" in peer]
            for block in [peer["ipBlock"] for peer in peers if "ipBlock" in peer]:  # public HTTPS only
                assert values["services"][service].get("publicHttpsEgress"), (service, block)
                assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8"} <= set(block["except"])
            databases = [s["cnpg.io/cluster"] for s in selectors if "cnpg.io/cluster" in s]
            assert databases == [f"{service}-db"], "only its own database"
            assert {"strimzi.io/cluster": "vorort", "strimzi.io/kind": "Kafka"} in selectors
            apis = {s["app.kubernetes.io/name"] for s in selectors if "app.kubernetes.io/name" in s}
            identity = values.get("identityService")  # every service verifies tokens and gets its own there
            issuer = {identity} if identity in values["services"] and service != identity else set()
            assert apis == set(values["services"][service].get("calls", [])) | issuer, (service, apis)
            mail = {25, 587} if values["services"][service].get("sendsMail") else set()
            for rule in policies[0]["spec"]["egress"]:  # nothing open to every address but DNS (and SMTP)
                if not rule.get("to"):
                    assert {p["port"] for p in rule["ports"]} <= {53} | mail
                for peer in rule.get("to", []):  # public https only, and only where declared (webhooks)
                    if "ipBlock" in peer:
                        assert values["services"][service].get("publicHttpsEgress"), service
                        assert {"10.0.0.0/8", "169.254.0.0/16", "127.0.0.0/8"} <= set(peer["ipBlock"]["except"])
                        assert [p["port"] for p in rule["ports"]] == [443]


def test_strimzi_cluster_is_three_kraft_nodes_with_replicated_topics_and_authenticated_listener(rendered):
    _, docs = rendered
    (pool,) = of_kind(docs, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3 and sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == "vorort"
    (kafka,) = of_kind(docs, "Kafka")
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["offsets.topic.replication.factor"] == 3
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    for listener in kafka["spec"]["kafka"]["listeners"]:
        assert listener["tls"] is True and listener["authentication"]["type"] == "scram-sha-512"
    topics = {t["spec"]["topicName"]: t for t in of_kind(docs, "KafkaTopic")}
    assert set(TOPICS) <= set(topics)
    for topic in topics.values():
        assert topic["spec"]["replicas"] == 3 and topic["spec"]["config"]["min.insync.replicas"] == 2


def acl_set(user, operation):
    return {(acl["resource"]["type"], acl["resource"].get("name"), acl["resource"].get("patternType"))
            for acl in user["spec"]["authorization"]["acls"] if operation in acl["operations"]}


def test_each_service_principal_writes_only_its_own_topics(rendered):
    """The ACLs follow the event catalogue: a service writes the topic its events belong to (and the
    privacy topic, for PersonalDataErased); admin, the operations console, may also replay dead letters."""
    from shared.events.catalogue import spec_for, known_types

    _, docs = rendered
    owner = {"vorort.applications": "applications", "vorort.selection": "selection",
             "vorort.workshops": "workshops", "vorort.publishing": "publishing", "vorort.identity": "identity"}
    assert {spec_for(t).topic for t in known_types()} <= set(owner) | {"vorort.privacy"}
    for user in of_kind(docs, "KafkaUser"):
        service = user["metadata"]["name"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        written = {name for kind, name, _ in acl_set(user, "Write") if kind == "topic"}
        event_topics = written & set(owner)
        if service == "admin":
            assert event_topics == set(owner)
            continue
        assert event_topics == {t for t, o in owner.items() if o == service}, (service, written)
        assert all(name.startswith(f"{service}.") for name in written - set(TOPICS)), written
        assert ("topic", "*", "literal") not in acl_set(user, "Read")


def test_one_cloudnativepg_cluster_per_service_database(rendered):
    _, docs = rendered
    clusters = {c["metadata"]["name"]: c for c in of_kind(docs, "Cluster")}
    assert set(clusters) == {f"{s}-db" for s in SERVICE_PORTS}
    for service in SERVICE_PORTS:
        spec = clusters[f"{service}-db"]["spec"]
        assert spec["bootstrap"]["initdb"] == {"database": service, "owner": service}
        assert spec["instances"] >= 2 and spec["enableSuperuserAccess"] is False


def test_adding_a_service_is_one_values_entry(kubernetes_schemas, tmp_path):
    values = tmp_path / "more.yaml"
    values.write_text(yaml.safe_dump({"services": {"archive": {
        "port": 8010, "calls": ["applications"],
        "kafka": {"produces": ["vorort.archive"], "groups": {"archive.selection": ["vorort.selection"]}}}}}))
    docs = [d for d in yaml.safe_load_all(render("-f", str(values))) if d]
    for kind, name in [("Deployment", "archive-web"), ("Deployment", "archive-worker"), ("Service", "archive-web"),
                       ("PodDisruptionBudget", "archive-web"), ("HorizontalPodAutoscaler", "archive-web"),
                       ("NetworkPolicy", "archive-web"), ("NetworkPolicy", "archive-worker"), ("Job", "archive-migrate"),
                       ("Cluster", "archive-db"), ("KafkaUser", "archive"), ("KafkaTopic", "archive-selection-dlq"),
                       ("KafkaTopic", "vorort-archive")]:
        named(docs, kind, name)
    assert ("topic", "vorort.archive", "literal") in acl_set(named(docs, "KafkaUser", "archive"), "Write")
    path = tmp_path / "rendered.yaml"
    path.write_text(render("-f", str(values)))
    assert kubeconform(path, kubernetes_schemas).returncode == 0


def test_the_local_cluster_grants_each_principal_exactly_the_charts_acls(rendered):
    """vorort/cluster.py (`vorort kafka start --nodes 3`) reads the same values: same principals, same ACLs."""
    from vorort.cluster import acls_for, service_principals

    _, docs = rendered
    principals = service_principals(CHART / "values.yaml")
    users = {u["metadata"]["name"]: u for u in of_kind(docs, "KafkaUser")}
    assert set(users) == set(principals)

    def normal(kind, name, pattern, operation):
        return (kind, None, None, operation) if kind == "cluster" else (kind, name, pattern, operation)

    for service, needs in principals.items():
        chart = {normal(a["resource"]["type"], a["resource"].get("name"), a["resource"].get("patternType"), op)
                 for a in users[service]["spec"]["authorization"]["acls"] for op in a["operations"]}
        local = {normal(*acl) for acl in acls_for(service, needs)}
        assert chart == local, (service, chart ^ local)
