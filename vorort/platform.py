"""The platform's services as the operator tooling sees them: their names and their `app` modules.
`vorort` (cli.py) and the demo loader both take them from here."""
from __future__ import annotations

import importlib

API_SERVICES = ("identity", "applications", "selection", "workshops", "publishing", "webhooks")
ALL_SERVICES = API_SERVICES + ("admin", "portal")


def service_module(name: str):
    """The `app` module of a service, or None if that service does not exist (yet)."""
    try:
        return importlib.import_module(f"services.{name}.app")
    except ModuleNotFoundError as missing:
        if missing.name in (f"services.{name}", f"services.{name}.app"):
            return None
        raise


def existing_services() -> list[str]:
    return [name for name in ALL_SERVICES if service_module(name) is not None]
