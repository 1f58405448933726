"""The measurable rules of one service dialect (issue 11), checked on the source tree itself.

- No module in services/ or shared/ is over 500 lines (migrations excepted): a module that grows past it
  becomes a package by subject, as services/publishing/domain/ did.
- No function or method in services/ or shared/ is over 60 lines (from its `def` line to its last line,
  migrations excepted) unless a line of its docstring starts with "Long because:" and gives the reason.
- Services never import each other, and shared/ imports no service and no operator tooling.
- The municipality vocabulary (the AGS pattern, the size classes) is written once, in shared/municipalities.py,
  and the API schemas check an AGS with shared.schemas.AGS.
- Every setting is read through shared/config.py: no other module of services/ or shared/ touches
  `os.environ` (vorort/, the operator tooling, hands environments on to the processes it starts).
- The bus is a typed field of the service context (`ctx.bus`), never reached through a string key.
- mypy checks shared/ and every domain module with all of its strict flags (the rest with its defaults).
- The import graph of shared/, services/ and vorort/ has no cycles, counting imports inside functions
  (which only postpone a cycle) and imports for type checking: what two modules both need lives in a
  module below both (e.g. services/admin/context.py, shared/web/context.py, vorort/platform.py).
- One handler table per service (`COMMAND_HANDLERS`, dependencies injected by the bus): no `EVENT_HANDLERS`
  beside it and no `partial`; a consumer reaches it through the bus (shared.consumer.command_handlers).
- Every consumer writes in one of two ways: each handler of a worker's consumers is made by
  shared.consumer.command_handlers (an event becomes a command for the bus) or belongs to a
  shared.consumer.Projection, besides the shared privacy and revocation consumers.
- One consumer-group scheme: `<service>.<purpose>` plus `VORORT_CONSUMER_GROUP_SUFFIX`, computed by
  shared.config.consumer_group alone; no service reads a group name from a setting of its own.
"""
from __future__ import annotations

import ast
import importlib
import re
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

from support import settings

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
LONG_BECAUSE = "Long because:"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())

def _modules(*roots: str):
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


@pytest.fixture(scope="module")
def graph():
    # No cache: a cache keyed by file times can outlive a rebase and answer for code that is gone.
    return grimp.build_graph("shared", "services", "vorort", cache_dir=None)


def test_no_module_in_services_or_shared_is_over_500_lines():
    too_long = {str(path.relative_to(ROOT)): lines for path in _modules("services", "shared")
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}, f"split these into packages by subject: {too_long}"


def _long_functions(source: str) -> Iterator[tuple[str, int, int]]:
    """(name, first line, length) of every function or method over MAX_FUNCTION_LINES lines whose
    docstring has no line "Long because: <a reason of a few words>"."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        reasons = [line.strip().removeprefix(LONG_BECAUSE).strip() for line in (ast.get_docstring(node) or "").splitlines()
                   if line.strip().startswith(LONG_BECAUSE)]
        if length > MAX_FUNCTION_LINES and not any(len(reason.split()) >= 3 for reason in reasons):
            yield node.name, node.lineno, length


def test_no_function_over_60_lines_without_a_reason_in_its_docstring():
    unexplained = {f"{path.relative_to(ROOT)}:{name}": f"line {line}, {length} lines"
                   for path in _modules("services", "shared")
                   for name, line, length in _long_functions(path.read_text(encoding="utf-8"))}
    assert unexplained == {}, f"split these, or give the reason in a docstring line '{LONG_BECAUSE} ...': {unexplained}"


def test_the_long_function_check_counts_from_def_to_the_last_line_and_reads_the_reason():
    def function(lines: int, docstring: str = "") -> str:
        body = "".join(f"    x{i} = {i}\n" for i in range(lines - 1 - (1 if docstring else 0)))
        return "def f():\n" + (f"    \"\"\"{docstring}\"\"\"\n" if docstring else "") + body

    assert list(_long_functions(function(60))) == []
    assert list(_long_functions(function(61))) == [("f", 1, 61)]
    assert list(_long_functions(function(61, "Does things.\n\n    Long because: one linear page handler."))) == []
    assert list(_long_functions(function(61, "Long because: yes"))) == [("f", 1, 61)], "a reason has words"
    assert list(_long_functions(function(61, "Does things; long because it is."))) == [("f", 1, 61)]
    nested = "class C:\n" + textwrap.indent(function(61), "    ")
    assert list(_long_functions(nested)) == [("f", 2, 61)]


def test_shared_and_every_domain_are_checked_with_all_of_mypys_strict_flags():
    """`make lint` runs mypy; this holds its configuration: one override for shared/ and every domain module
    or package carries each flag of the installed mypy's --strict (per-module flags there or globally, the
    others globally), and no `strict = true`, which in an override would make every module strict."""
    from mypy.main import define_options
    from mypy.options import PER_MODULE_OPTIONS

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    overrides = [o for o in config.get("overrides", []) if "shared.*" in o["module"]]
    assert len(overrides) == 1, "one [[tool.mypy.overrides]] for shared.* and the domains"
    override = overrides[0]
    assert {"shared.*", "services.*.domain", "services.*.domain.*"} <= set(override["module"])
    assert "strict" not in override and "strict" not in config
    _, _, strict_flags = define_options()
    missing = [f"{dest} = {str(value).lower()}" for dest, value in strict_flags
               if (override.get(dest, config.get(dest)) if dest in PER_MODULE_OPTIONS else config.get(dest)) != value]
    assert missing == [], f"set these in pyproject.toml: {missing}"


def test_services_never_import_each_other(graph):
    crossings = []
    for service in SERVICES:
        for other in SERVICES:
            if other != service and graph.chain_exists(importer=f"services.{service}",
                                                       imported=f"services.{other}", as_packages=True):
                crossings.append(f"services.{service} -> services.{other}")
    assert crossings == []


def test_shared_imports_no_service_and_no_operator_tooling(graph):
    for forbidden in ("services", "vorort"):
        assert not graph.chain_exists(importer="shared", imported=forbidden, as_packages=True), forbidden


def test_the_municipality_vocabulary_is_defined_once_in_shared():
    spelled_out = [str(path.relative_to(ROOT)) for path in _modules("services", "shared", "vorort")
                   if path != ROOT / "shared" / "municipalities.py"
                   and (r"\d{8}" in (text := path.read_text(encoding="utf-8"))
                        or '"rural", "small", "medium", "large"' in text
                        or (path.is_relative_to(ROOT / "services") and "validate.Regexp(AGS_PATTERN" in text))]
    assert spelled_out == [], "use shared.municipalities (AGS_PATTERN, AGS_RE, SIZE_CLASSES, size_class_for) and shared.schemas.AGS"


def test_settings_are_read_through_shared_config_only():
    readers = {str(path.relative_to(ROOT)) for path in _modules("services", "shared")
               if path != ROOT / "shared" / "config.py"
               and any(word in path.read_text(encoding="utf-8") for word in ("os.environ", "os.getenv", "getenv("))}
    assert readers == set(), "read settings with shared.config (setting() or a named function)"


def test_the_bus_and_a_services_own_settings_are_reached_through_the_context_not_a_string_key():
    by_key = [str(path.relative_to(ROOT)) for path in _modules("services", "shared", "vorort", "tests", "bench")
              if ('extras["bus"]' in (text := path.read_text(encoding="utf-8")) or 'extras["settings"]' in text)
              and path != Path(__file__).resolve()]
    assert by_key == [], "use ctx.bus and ctx.options (shared.web.ServiceContext), never a string key"


def test_one_handler_table_per_service_reached_through_the_bus():
    offenders = [str(path.relative_to(ROOT)) for path in _modules("services")
                 if re.search(r"^EVENT_HANDLERS\b|\bpartial\(|^from functools import .*\bpartial\b",
                              path.read_text(encoding="utf-8"), re.MULTILINE)]
    assert offenders == [], "route every command by COMMAND_HANDLERS; consumers call the bus (command_handlers)"


def _worker_consumers(service: str) -> list:
    import importlib

    from shared.config import ServiceSettings

    module = importlib.import_module(f"services.{service}.app")
    ctx = module.build_context(ServiceSettings(service, "sqlite://", "127.0.0.1:1", "development"))
    return module.worker_plan(ctx).consumers


def _projection_handlers(service: str) -> list:
    import importlib

    from shared.consumer import Projection

    try:
        module = importlib.import_module(f"services.{service}.consumers")
    except ModuleNotFoundError:
        return []
    return [handler for value in vars(module).values() if isinstance(value, Projection)
            for handler in value.handlers.values()]


def _dialect_breaches(service: str, specs) -> list[str]:
    """The consumer handlers that are neither commands for the bus, nor a projection's, nor the shared
    privacy (erasure) and revocation handlers."""
    from shared.consumer import EventCommand
    from shared.revocation import apply_revocation

    projected = _projection_handlers(service)
    return [f"{spec.group_id}: {event_type}" for spec in specs for event_type, handler in spec.handlers.items()
            if not (isinstance(handler, EventCommand) or any(handler is known for known in projected)
                    or (spec.purpose == "privacy" and getattr(handler, "__module__", "") == "shared.privacy")
                    or handler is apply_revocation)]


WORKERS = [s for s in SERVICES if "def worker_plan" in (ROOT / "services" / s / "app.py").read_text(encoding="utf-8")]


@pytest.mark.parametrize("service", WORKERS)
def test_every_consumer_turns_events_into_commands_or_updates_a_projection(service, monkeypatch, tmp_path):
    monkeypatch.setenv("VORORT_VAR_DIR", str(tmp_path))
    specs = _worker_consumers(service)
    assert specs, f"{service}: a worker without consumers"
    assert _dialect_breaches(service, specs) == [], \
        "a consumer's handlers come from shared.consumer.command_handlers or a shared.consumer.Projection"


def test_the_consumer_check_catches_a_handler_written_inline():
    from shared.worker import ConsumerSpec

    def inline(event, data, uow):
        uow.session.execute("UPDATE somewhere")

    assert _dialect_breaches("workshops", [ConsumerSpec("workshops", "inline", topics=["t"],
                                                        handlers={"CallOpened": inline})]) == ["workshops.inline: CallOpened"]


def test_handlers_reach_the_database_only_through_the_unit_of_works_repositories(graph):
    with_handlers = [s for s in SERVICES if f"services.{s}.handlers" in graph.modules and f"services.{s}.db" in graph.modules]
    assert {"applications", "selection", "workshops", "publishing", "identity", "webhooks"} <= set(with_handlers)
    direct = [s for s in with_handlers if graph.direct_import_exists(
        importer=f"services.{s}.handlers", imported=f"services.{s}.db", as_packages=True)]
    assert direct == [], "handlers get domain objects from uow.<repository>, never from db (docs/architecture.md)"


def test_rows_become_domain_objects_only_by_declared_mappings():
    hand_written = [str(path.relative_to(ROOT)) for path in _modules("services")
                    if re.search(r"def \w+_from_row\b|\._mapping\b|\bdict\(row\b", path.read_text(encoding="utf-8"))]
    assert hand_written == [], "declare shared.db.RowMapping or ImperativeMapping; repositories return domain objects"


def test_every_service_that_keeps_personal_data_takes_part_in_gdpr():
    from vorort.gdpr import PERSONAL_DATA_SERVICES

    keeping, missing = [], []
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.app")
        metadata = getattr(module, "metadata", None) or getattr(getattr(module, "SERVICE", None), "metadata", None)
        if metadata is None or "privacy_erasures" not in metadata.tables:
            continue
        keeping.append(service)
        app = module.create_app(settings(service, "sqlite://", "127.0.0.1:1"))
        plan = module.worker_plan(app.extensions.get("vorort") or app.extensions[f"vorort-{service}"])
        erases = any("PersonalDataErasureRequested" in spec.handlers for spec in plan.consumers)
        exports = any(rule.rule == "/v1/personal-data" for rule in app.url_map.iter_rules())
        if not (erases and exports and service in PERSONAL_DATA_SERVICES):
            missing.append(f"{service}: erases={erases} exports={exports} listed={service in PERSONAL_DATA_SERVICES}")
    assert "portal" in keeping and "applications" in keeping
    assert missing == [], "shared.privacy: privacy_consumer, the export, vorort/gdpr.py PERSONAL_DATA_SERVICES"


def test_consumer_groups_follow_the_one_scheme_without_settings_of_their_own():
    offenders = [str(path.relative_to(ROOT)) for path in _modules("services", "shared")
                 if re.search(r"setting\([^)]*GROUP|ConsumerSpec\(group_id=|[\"']--group[\"']",
                              path.read_text(encoding="utf-8"))]
    assert offenders == [], "name groups ConsumerSpec(service, purpose, ...): shared.config.consumer_group"


def _cycles(graph) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: set[frozenset[str]] = set()
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
    return found


def test_no_import_cycles(graph):
    cycles = sorted(sorted(cycle) for cycle in _cycles(graph))
    assert cycles == [], f"import cycles (move what both sides need into a module below both): {cycles}"
