"""Write the JSON schemas that kubeconform validates the chart's custom resources against, offline.

The operators' CRDs are not fetched at test time (no network in CI). These schemas hold what the
operators document for the fields this chart uses - Strimzi's API reference (kafka.strimzi.io/v1beta2:
Kafka, KafkaNodePool, KafkaTopic, KafkaUser) and CloudNativePG's API reference (postgresql.cnpg.io/v1:
Cluster) - with every object closed (`additionalProperties: false`), so a misspelt or undocumented field
fails validation just as the API server would refuse it. A field the chart starts to use is added here,
from the operator's reference, in the same change.

    python deploy/helm/crd-schemas/generate.py     # rewrites the *.json files beside it
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def obj(properties: dict, required: list[str] | None = None) -> dict:
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = required
    return schema


def string(**kw) -> dict:
    return {"type": "string", **kw}


def integer(**kw) -> dict:
    return {"type": "integer", **kw}


BOOL = {"type": "boolean"}
QUANTITY = {"anyOf": [{"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$"},
                      {"type": "integer"}]}
RESOURCES = obj({"requests": {"type": "object", "additionalProperties": QUANTITY},
                 "limits": {"type": "object", "additionalProperties": QUANTITY}})
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
CONFIG = {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean", "number"]}}


def resource(api_version: str, kind: str, spec: dict, *, cluster_label: bool) -> dict:
    metadata = obj({"name": string(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", maxLength=253),
                    "namespace": string(), "labels": LABELS, "annotations": LABELS}, ["name"])
    if cluster_label:  # Strimzi's operators pick up only resources labelled with their cluster
        metadata["properties"]["labels"] = {**LABELS, "required": ["strimzi.io/cluster"]}
        metadata["required"] = ["name", "labels"]
    return {"$schema": "http://json-schema.org/draft-07/schema#", "title": f"{kind} {api_version}",
            **obj({"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": metadata,
                   "spec": spec}, ["apiVersion", "kind", "metadata", "spec"])}


PEER = obj({"podSelector": obj({"matchLabels": LABELS}), "namespaceSelector": obj({"matchLabels": LABELS})})
LISTENER = obj({
    "name": string(pattern=r"^[a-z0-9]{1,11}$"),
    "port": integer(minimum=9092, maximum=65535, **{"not": {"enum": [9404, 9999]}}),
    "type": string(enum=["internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"]),
    "tls": BOOL,
    "authentication": obj({"type": string(enum=["tls", "scram-sha-512", "oauth", "custom"])}, ["type"]),
    "networkPolicyPeers": {"type": "array", "items": PEER},
}, ["name", "port", "type", "tls"])

KAFKA = resource("kafka.strimzi.io/v1beta2", "Kafka", obj({
    "kafka": obj({
        "version": string(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$"),
        "metadataVersion": string(),
        "listeners": {"type": "array", "minItems": 1, "items": LISTENER},
        "authorization": obj({"type": string(enum=["simple", "opa", "keycloak", "custom"]),
                              "superUsers": {"type": "array", "items": string()}}, ["type"]),
        "config": CONFIG,
    }, ["listeners"]),
    "entityOperator": obj({"topicOperator": obj({"resources": RESOURCES}),
                           "userOperator": obj({"resources": RESOURCES})}),
}, ["kafka"]), cluster_label=False)

VOLUME = obj({
    "id": integer(minimum=0),
    "type": string(enum=["ephemeral", "persistent-claim"]),
    "size": string(pattern=r"^[0-9]+(Ki|Mi|Gi|Ti)$"),
    "class": string(),
    "deleteClaim": BOOL,
    "kraftMetadata": string(enum=["shared"]),
}, ["type"])
NODE_POOL = resource("kafka.strimzi.io/v1beta2", "KafkaNodePool", obj({
    "replicas": integer(minimum=0),
    "roles": {"type": "array", "minItems": 1, "uniqueItems": True,
              "items": string(enum=["controller", "broker"])},
    "storage": obj({"type": string(enum=["ephemeral", "persistent-claim", "jbod"]),
                    "size": string(), "class": string(), "deleteClaim": BOOL,
                    "volumes": {"type": "array", "minItems": 1, "items": VOLUME}}, ["type"]),
    "resources": RESOURCES,
}, ["replicas", "storage", "roles"]), cluster_label=True)

TOPIC = resource("kafka.strimzi.io/v1beta2", "KafkaTopic", obj({
    "topicName": string(),
    "partitions": integer(minimum=1),
    "replicas": integer(minimum=1, maximum=32767),
    "config": CONFIG,
}), cluster_label=True)

ACL_RESOURCE = obj({
    "type": string(enum=["topic", "group", "cluster", "transactionalId"]),
    "name": string(),
    "patternType": string(enum=["literal", "prefix"]),
}, ["type"])
OPERATION = string(enum=["Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction",
                         "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"])
USER = resource("kafka.strimzi.io/v1beta2", "KafkaUser", obj({
    "authentication": obj({"type": string(enum=["tls", "tls-external", "scram-sha-512"])}, ["type"]),
    "authorization": obj({
        "type": string(enum=["simple"]),
        "acls": {"type": "array", "items": obj({
            "type": string(enum=["allow", "deny"]),
            "resource": ACL_RESOURCE,
            "host": string(),
            "operations": {"type": "array", "minItems": 1, "items": OPERATION},
        }, ["resource", "operations"])},
    }, ["type", "acls"]),
}), cluster_label=True)

CNPG_CLUSTER = resource("postgresql.cnpg.io/v1", "Cluster", obj({
    "instances": integer(minimum=1),
    "imageName": string(),
    "primaryUpdateStrategy": string(enum=["unsupervised", "supervised"]),
    "enableSuperuserAccess": BOOL,
    "bootstrap": obj({"initdb": obj({"database": string(), "owner": string(),
                                     "secret": obj({"name": string()}, ["name"])})}),
    "storage": obj({"size": string(pattern=r"^[0-9]+(Ki|Mi|Gi|Ti)$"), "storageClass": string()}),
    "postgresql": obj({"parameters": {"type": "object", "additionalProperties": {"type": "string"}}}),
    "resources": RESOURCES,
    "affinity": obj({"enablePodAntiAffinity": BOOL, "topologyKey": string(),
                     "podAntiAffinityType": string(enum=["preferred", "required"])}),
    "monitoring": obj({"enablePodMonitor": BOOL}),
}, ["instances"]), cluster_label=False)

SCHEMAS = {
    "kafka.strimzi.io/kafka_v1beta2.json": KAFKA,
    "kafka.strimzi.io/kafkanodepool_v1beta2.json": NODE_POOL,
    "kafka.strimzi.io/kafkatopic_v1beta2.json": TOPIC,
    "kafka.strimzi.io/kafkauser_v1beta2.json": USER,
    "postgresql.cnpg.io/cluster_v1.json": CNPG_CLUSTER,
}


def main() -> None:
    for relative, schema in SCHEMAS.items():
        path = HERE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
