"""One consumer-group scheme (issue 11): every worker's groups are `<service>.<purpose>` plus the deployment's
suffix (`VORORT_CONSUMER_GROUP_SUFFIX`, shared.config.consumer_group), and without a suffix they are exactly
the groups deployed today (deploy/helm/vorort/values.yaml, whose groups are also the services' Kafka ACLs),
so that the offsets and processed-message records stored under those names stay valid."""
from __future__ import annotations

import importlib

import pytest
import yaml

from shared.config import REPO_ROOT, ServiceSettings

VALUES = yaml.safe_load((REPO_ROOT / "deploy" / "helm" / "vorort" / "values.yaml").read_text(encoding="utf-8"))
DEPLOYED = {name: entry["kafka"]["groups"] for name, entry in VALUES["services"].items()
            if (entry.get("kafka") or {}).get("groups")}


def worker_consumers(service: str) -> list:
    module = importlib.import_module(f"services.{service}.app")
    ctx = module.build_context(ServiceSettings(service, "sqlite://", "127.0.0.1:1", "development"))
    return module.worker_plan(ctx).consumers


@pytest.mark.parametrize("service", sorted(DEPLOYED))
def test_without_a_suffix_the_groups_are_the_deployed_ones(service, monkeypatch, tmp_path):
    monkeypatch.delenv("VORORT_CONSUMER_GROUP_SUFFIX", raising=False)
    monkeypatch.setenv("VORORT_VAR_DIR", str(tmp_path))
    groups = {spec.group_id: sorted(spec.topics) for spec in worker_consumers(service)}
    assert groups == {group: sorted(topics) for group, topics in DEPLOYED[service].items()}
    assert all(spec.group_id == f"{service}.{spec.purpose}" for spec in worker_consumers(service))


@pytest.mark.parametrize("service", sorted(DEPLOYED))
def test_the_deployments_suffix_follows_every_group(service, monkeypatch, tmp_path):
    monkeypatch.setenv("VORORT_CONSUMER_GROUP_SUFFIX", "-staging")
    monkeypatch.setenv("VORORT_VAR_DIR", str(tmp_path))
    assert {spec.group_id for spec in worker_consumers(service)} == {f"{group}-staging"
                                                                     for group in DEPLOYED[service]}
