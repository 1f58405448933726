"""Every service's OpenAPI document is valid OpenAPI and documents its operations' security."""
from __future__ import annotations

import importlib

import pytest
from openapi_spec_validator import validate

from shared.config import ServiceSettings

API_SERVICES = ["applications", "selection", "workshops", "publishing", "webhooks", "identity"]


def openapi_of(service: str) -> dict:
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(ServiceSettings(service, "sqlite://", "127.0.0.1:1", "development"))
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize("service", API_SERVICES)
def test_openapi_document_validates(service):
    document = openapi_of(service)
    validate(document)
    assert document["paths"], "no operations documented"


@pytest.mark.parametrize("service", API_SERVICES)
def test_openapi_declares_bearer_authentication(service):
    document = openapi_of(service)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
