"""`vorort`: the operators' command line. It may use every service; the services never use it."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from shared.config import REPO_ROOT, SERVICE_PORTS, ServiceSettings, kafka_bootstrap_servers, kafka_security
from vorort.platform import ALL_SERVICES, existing_services, service_module

@click.group()
def main():
    """Operate the Netzwerk vor Ort platform."""


@main.command()
@click.argument("services", nargs=-1)
def migrate(services):
    """Migrate the databases of SERVICES (default: every service)."""
    from shared.db import migrate as run_migration

    for name in services or existing_services():
        module = service_module(name)
        if module is None:
            raise click.BadParameter(f"no service {name}")
        if not hasattr(module, "MIGRATIONS"):
            continue
        settings = ServiceSettings.from_env(name)
        run_migration(settings.database_url, module.MIGRATIONS)
        click.echo(f"migrated {name}")


@main.command("run")
@click.option("--procfile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=lambda: str(REPO_ROOT / "deploy" / "Procfile"), show_default="deploy/Procfile")
@click.option("--kafka-nodes", type=click.IntRange(1, 9), default=1, show_default=True,
              help="1: the single development broker; 3 or more: a KRaft cluster with one SASL/SCRAM principal "
                   "per service.")
def run_command(procfile, kafka_nodes):
    """Run every process of the Procfile (as `make run` does); none outlives the run, however it ends."""
    from vorort.run import run

    if kafka_nodes == 2:
        raise click.BadParameter("replication factor 3 with min.insync.replicas 2 needs three nodes",
                                 param_hint="--kafka-nodes")
    sys.exit(run(procfile, REPO_ROOT, kafka_nodes=kafka_nodes))


@main.group()
def kafka():
    """The development Kafka broker (KRaft, single node)."""


@kafka.command("fetch")
def kafka_fetch():
    """Fetch the pinned broker jars with Maven into var/kafka/libs."""
    from vorort import broker

    click.echo(f"Kafka jars in {broker.fetch(quiet=False)}")


@kafka.command("start")
@click.option("--port", type=int, default=9092, show_default=True,
              help="Client port (of the first node; the others take the next ones).")
@click.option("--nodes", type=click.IntRange(1, 9), default=1, show_default=True,
              help="1: one PLAINTEXT broker; 3 or more: a replicated KRaft cluster with SASL/SCRAM and ACLs.")
def kafka_start(port, nodes):
    """Run the broker (or the cluster) in the foreground until Ctrl-C."""
    if nodes == 1:
        from vorort import broker

        broker.run_foreground(port)
    if nodes == 2:
        raise click.BadParameter("replication factor 3 with min.insync.replicas 2 needs three nodes", param_hint="--nodes")
    from vorort import cluster

    cluster.run_foreground(nodes=nodes, base_port=port)


@kafka.command("env")
@click.argument("principal")
@click.option("--wait", type=float, default=300, show_default=True, help="Seconds to wait for the cluster's files.")
def kafka_env(principal, wait):
    """Print the shell exports for PRINCIPAL (a service, or admin) on the `--nodes 3` cluster."""
    import shlex
    import time

    from vorort import cluster

    from vorort.broker import port_open

    deadline = time.monotonic() + wait
    while True:  # the cluster's files, then its first node's client port (services start beside it)
        try:
            found = cluster.load()
            if port_open("127.0.0.1", found.nodes[0].port):
                break
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise click.ClickException("no cluster answers: start it with `vorort kafka start --nodes 3`")
        time.sleep(1)
    if principal not in found.credentials:
        raise click.BadParameter(f"no principal {principal!r}; known: {', '.join(sorted(found.credentials))}")
    for key, value in found.client_env(principal).items():
        click.echo(f"export {key}={shlex.quote(value)}")


@kafka.command("stop")
def kafka_stop():
    """Stop the broker that holds var/kafka/node and the nodes of var/kafka/cluster (also ones left behind by
    an interrupted run)."""
    from vorort import broker, cluster

    pid = broker.stop_running()
    click.echo(f"stopped the Kafka broker (pid {pid})" if pid else "no Kafka broker holds var/kafka/node")
    nodes = cluster.stop_running()
    if nodes:
        click.echo(f"stopped {len(nodes)} cluster node(s) (pids {', '.join(map(str, nodes))})")


@main.group()
def events():
    """Read the event topics."""


@events.command("tail")
@click.argument("topic")
@click.option("--from-beginning/--new-only", default=True, show_default=True)
@click.option("--max", "max_messages", type=int, default=0, help="Stop after this many (0: never).")
@click.option("--timeout", type=float, default=0, help="Stop after this many idle seconds (0: never).")
def events_tail(topic, from_beginning, max_messages, timeout):
    """Print the messages of TOPIC: key, headers and the CloudEvent, one JSON document each."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=kafka_bootstrap_servers().split(","),
                             auto_offset_reset="earliest" if from_beginning else "latest",
                             enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=int(timeout * 1000) if timeout else float("inf"),
                             **kafka_security())
    for seen, message in enumerate(consumer, start=1):
        try:
            value = json.loads(message.value)
        except (TypeError, ValueError):
            value = repr(message.value)
        click.echo(json.dumps({
            "partition": message.partition, "offset": message.offset,
            "key": message.key.decode(errors="replace") if message.key else None,
            "headers": {name: raw.decode(errors="replace") for name, raw in message.headers or []},
            "value": value}, ensure_ascii=False, indent=2))
        if max_messages and seen >= max_messages:
            break
    consumer.close()


@main.command()
@click.argument("service", type=click.Choice(ALL_SERVICES))
@click.option("--relay-only", is_flag=True)
def worker(service, relay_only):
    """Run SERVICE's worker: outbox relay, consumers, periodic jobs."""
    module = service_module(service)
    argv = ["worker"] + (["--relay-only"] if relay_only else [])
    module.main(argv)


@main.command()
@click.option("--timeout", type=float, default=120.0)
def wait(timeout):
    """Wait until every existing service answers /readyz."""
    import requests

    from shared.config import service_url

    deadline = time.monotonic() + timeout
    pending = list(existing_services())
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            try:
                if requests.get(f"{service_url(name)}/readyz", timeout=2).status_code == 200:
                    pending.remove(name)
            except requests.RequestException:
                pass
        time.sleep(1)
    if pending:
        click.echo(f"not ready: {', '.join(pending)}", err=True)
        sys.exit(1)
    click.echo("all services ready")


@main.command()
def urls():
    """Print the URLs of the running platform."""
    from shared.config import service_url

    for name in existing_services():
        click.echo(f"{name:13} {service_url(name)}   (API docs: {service_url(name)}/docs)"
                   if name not in ("admin", "portal") else f"{name:13} {service_url(name)}")
    click.echo(f"{'kafka':13} {kafka_bootstrap_servers()}")


@main.group()
def dlq():
    """Dead-letter topics: what a consumer group gave up on."""


@dlq.command("list")
@click.argument("group")
def dlq_list(group):
    """List the dead letters of consumer GROUP with their origin and error."""
    from vorort.dlq import list_dead_letters

    for letter in list_dead_letters(kafka_bootstrap_servers(), group):
        click.echo(f"{letter.partition}:{letter.offset}  from {letter.original_topic}"
                   f"[{letter.original_partition}]@{letter.original_offset}  {letter.error}")


@dlq.command("replay")
@click.argument("group")
@click.option("--at", "positions", multiple=True, help="PARTITION:OFFSET of one dead letter (default: all).")
def dlq_replay(group, positions):
    """Re-publish dead letters to their original topic (after a fix); consumers dedupe by event id."""
    from vorort.dlq import replay

    offsets = {tuple(int(part) for part in p.split(":")) for p in positions} or None
    click.echo(f"replayed {replay(kafka_bootstrap_servers(), group, offsets)} message(s)")


@main.group()
def gdpr():
    """One person's data across every service (export, erasure)."""


@gdpr.command("export")
@click.option("--email", required=True)
def gdpr_export(email):
    """Print everything every service holds about EMAIL, as JSON."""
    from vorort.gdpr import PERSONAL_DATA_SERVICES, export

    services = [s for s in PERSONAL_DATA_SERVICES if s in existing_services()]
    click.echo(json.dumps(export(email, services), ensure_ascii=False, indent=2, default=str))


@gdpr.command("erase")
@click.option("--email", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def gdpr_erase(email, yes):
    """Erase or anonymise EMAIL's data in every service (through an event); prints what each service did."""
    from vorort.gdpr import PERSONAL_DATA_SERVICES, erase

    if not yes:
        click.confirm(f"Erase every record of {email} in every service?", abort=True)
    services = [s for s in PERSONAL_DATA_SERVICES if s in existing_services()]
    result = erase(email, services)
    click.echo(json.dumps(result, indent=2))
    if result["unconfirmed"]:
        sys.exit(1)


@main.group()
def docs():
    """Generated documentation."""


@docs.command("asyncapi")
def docs_asyncapi():
    """Write docs/asyncapi.yaml from the event catalogue."""
    from shared.config import REPO_ROOT
    from shared.events.asyncapi import render

    path = REPO_ROOT / "docs" / "asyncapi.yaml"
    path.write_text(render())
    click.echo(f"wrote {path}")


@docs.command("authz")
def docs_authz():
    """Write docs/authorization-matrix.csv from the roles the API views declare (review the diff!)."""
    from shared.config import REPO_ROOT
    from vorort.authz import render

    path = REPO_ROOT / "docs" / "authorization-matrix.csv"
    path.write_text(render())
    click.echo(f"wrote {path}")


@main.group()
def db():
    """Developer helpers for the databases."""


@db.command("revision")
@click.argument("service")
@click.argument("message")
@click.option("--rev-id", required=True, help="The new revision's id, e.g. 0002.")
def db_revision(service, message, rev_id):
    """Autogenerate a migration for SERVICE against a scratch SQLite database at head."""
    import tempfile

    from alembic import command
    from alembic.config import Config

    module = service_module(service)
    scratch = tempfile.mkdtemp()
    config = Config()
    config.set_main_option("script_location", str(module.MIGRATIONS))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{scratch}/scratch.db")
    command.upgrade(config, "head")
    command.revision(config, message=message, autogenerate=True, rev_id=rev_id)


def _register_demo():
    from vorort.demo import demo_command

    main.add_command(demo_command)


_register_demo()


def _register_webhooks():
    from vorort.webhook_receiver import webhooks_group

    main.add_command(webhooks_group)


_register_webhooks()


def _register_identity():
    from vorort.identity_cli import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_register_identity()


@main.group()
def staff():
    """Staff accounts of the admin web UI (the office)."""


def _staff_store():
    from services.admin.db import StaffStore
    from shared.db import make_engine

    return StaffStore(make_engine(ServiceSettings.from_env("admin").database_url))


def _new_password(password):
    return password or click.prompt("Password", hide_input=True, confirmation_prompt=True)


@staff.command("add")
@click.argument("username")
@click.option("--password", help="The password (at least 12 characters); asked for when omitted.")
@click.option("--name", "display_name", help="The name the UI shows (default: the username).")
def staff_add(username, password, display_name):
    """Create a staff account USERNAME (the admin database must be migrated)."""
    from services.admin.accounts import AccountError, add_staff

    try:
        account = add_staff(_staff_store(), username, _new_password(password), display_name)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"staff account {account.username} created")


@staff.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password; asked for when omitted.")
def staff_set_password(username, password):
    """Give the staff account USERNAME a new password."""
    from services.admin.accounts import AccountError, set_password

    try:
        set_password(_staff_store(), username, _new_password(password))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"password of {username} changed")


@staff.command("list")
def staff_list():
    """List the staff accounts."""
    for row in _staff_store().accounts():
        state = "active" if row.active else "disabled"
        click.echo(f"{row.username:30} {state:9} {row.display_name}")


__all__ = ["main", "SERVICE_PORTS"]


@main.group()
def people():
    """People who may sign in to the portal (until the identity service keeps them)."""


def portal_people():
    from services.portal.people import LocalPeople
    from shared.db import make_engine

    return LocalPeople(make_engine(ServiceSettings.from_env("portal").database_url))


@people.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["municipality", "steering", "partner"]), required=True)
@click.option("--ags", help="The municipality's 8-digit AGS (role municipality; for a partner: the "
              "municipality it partners, whose workshops it is invited to).")
@click.option("--member-id", help="The panel member id in the selection service (role steering).")
@click.option("--organisation", default="")
def people_add(email, name, role, ags, member_id, organisation):
    """Register EMAIL for the portal's sign-in (the portal database must be migrated)."""
    from datetime import datetime, timezone

    from services.portal.people import PersonError

    try:
        person = portal_people().add(email=email, name=name, role=role, ags=ags, member_id=member_id,
                                     organisation=organisation, now=datetime.now(timezone.utc))
    except PersonError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{person.email} may sign in to the portal as {person.role}")
