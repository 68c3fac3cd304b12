"""The `chargedesk` command."""

import asyncio
from typing import Annotated

import typer

from chargedesk.cli_common import DatabaseUrl
from chargedesk.cli_common import database_url_or_default as _url
from chargedesk.config import Settings, get_settings
from chargedesk.tokens.cli import tokens_app

app = typer.Typer(help="chargedesk: a back office for charge point operators.", no_args_is_help=True)
api_key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")
user_app = typer.Typer(help="Manage portal users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(tokens_app, name="tokens")


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the database schema."""
    from chargedesk.migrations import upgrade

    upgrade(_url(database_url))
    typer.echo("database is up to date")


async def _load_demo(url: str) -> bool:
    from chargedesk import demo
    from chargedesk.db import Database

    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            loaded = await demo.load(session)
            await session.commit()
            return loaded
    finally:
        await db.dispose()


def _migrated_settings(host: str | None, port: int | None, database_url: str | None) -> Settings:
    """The settings with the command line's overrides, after migrating their database."""
    from chargedesk.migrations import upgrade

    settings = get_settings().model_copy()
    if database_url:
        settings.database_url = database_url
    settings.host = host or settings.host
    settings.port = port or settings.port
    upgrade(settings.database_url)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to CHARGEDESK_HOST (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to CHARGEDESK_PORT (8000).")] = None,
    database_url: DatabaseUrl = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load demo data into an empty database.")] = False,
) -> None:
    """Run the API, the portal and the OCPP gateway in one process (migrates first)."""
    from chargedesk.app import create_app

    settings = _migrated_settings(host, port, database_url)
    if demo or settings.demo_data:
        from chargedesk.demo import DEMO_ADMIN_KEY, DEMO_LOGIN_EMAIL, DEMO_LOGIN_PASSWORD

        if asyncio.run(_load_demo(settings.database_url)):
            typer.echo("Loaded demo data.")
        typer.echo(f"Demo admin API key: {DEMO_ADMIN_KEY}")
        typer.echo(f"Demo portal login: {DEMO_LOGIN_EMAIL} / {DEMO_LOGIN_PASSWORD}")
    from chargedesk.ocpp.gateway import run_server

    typer.echo(f"chargedesk on http://{settings.host}:{settings.port} (portal: /, API docs: /docs)")
    typer.echo(f"OCPP: ws://{settings.host}:{settings.port}/ocpp/<station id>")
    run_server(create_app(settings), settings)


@app.command()
def gateway(
    host: Annotated[str | None, typer.Option(help="Defaults to CHARGEDESK_HOST (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to CHARGEDESK_PORT (8000).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run only the OCPP gateway (ws://HOST:PORT/ocpp/<station id>) on the shared database."""
    from chargedesk.ocpp.gateway import create_gateway_app, run_server

    settings = _migrated_settings(host, port, database_url)
    typer.echo(f"chargedesk OCPP gateway on ws://{settings.host}:{settings.port}/ocpp/<station id>")
    run_server(create_gateway_app(settings), settings)


@app.command()
def simulate(
    url: Annotated[str, typer.Option(help="The gateway, e.g. ws://127.0.0.1:8000/ocpp")],
    stations: Annotated[int, typer.Option(help="How many stations.")] = 1,
    password: Annotated[str | None, typer.Option(help="Basic auth password of every station.")] = None,
    id_tags: Annotated[
        str | None, typer.Option(help="Comma-separated id tags for authorize/transaction cycles.")
    ] = None,
    cycles: Annotated[int, typer.Option(help="Authorize + transaction cycles per station.")] = 0,
    prefix: Annotated[str, typer.Option(help="Station ids are PREFIX00001, PREFIX00002, …")] = "SIM-",
    duration: Annotated[float, typer.Option(help="Seconds to stay connected after booting.")] = 0.0,
) -> None:
    """Run virtual OCPP 1.6 stations (they must be registered); prints a JSON report."""
    import dataclasses
    import json

    from chargedesk.ocpp.simulator import run

    tags = [t.strip() for t in id_tags.split(",") if t.strip()] if id_tags else None
    report = asyncio.run(run(url, stations, password, tags, prefix, duration, cycles))
    typer.echo(
        json.dumps(dataclasses.asdict(report) | {"errors": report.errors[:20], "error_count": len(report.errors)})
    )
    if report.errors:
        raise typer.Exit(1)


async def _create_key(url: str, organization: str, role: str, name: str | None) -> str:
    from chargedesk.auth.keys import create_key
    from chargedesk.db import Database
    from chargedesk.organizations import service as organizations

    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            org = await organizations.get_or_create(session, organization)
            _, secret = await create_key(session, org.id, role, name=name)
            await session.commit()
            return secret
    finally:
        await db.dispose()


@api_key_app.command("create")
def api_key_create(
    organization: Annotated[str, typer.Option(help="Organisation name; created if missing.")],
    role: Annotated[str, typer.Option(help="admin, location_manager, installer or viewer.")] = "admin",
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API key; the key is printed once, as the last line."""
    from chargedesk.auth.keys import ROLES
    from chargedesk.migrations import upgrade

    if role not in ROLES:
        typer.echo(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.", err=True)
        raise typer.Exit(2)
    url = _url(database_url)
    upgrade(url)
    secret = asyncio.run(_create_key(url, organization, role, name))
    typer.echo(f"API key for {organization!r} ({role}); store it now, it is not shown again:")
    typer.echo(secret)


async def _create_user(url: str, email: str, password: str, organization: str, role: str, name: str | None) -> str:
    from chargedesk.db import Database
    from chargedesk.organizations import service as organizations
    from chargedesk.portal import users

    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            org = await organizations.get_or_create(session, organization)
            user = await users.create(session, email, password, org.id, role, name)
            await session.commit()
            return user.email
    finally:
        await db.dispose()


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The sign-in email (case-insensitive, unique).")],
    organization: Annotated[str, typer.Option(help="Organisation name; created if missing.")],
    role: Annotated[str, typer.Option(help="admin, location_manager, installer or viewer.")] = "admin",
    name: Annotated[str | None, typer.Option(help="The person's name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (first line).")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a portal user; asks for the password unless --password-stdin is given."""
    import sys

    from chargedesk.errors import Problem
    from chargedesk.migrations import upgrade

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    url = _url(database_url)
    upgrade(url)
    try:
        created = asyncio.run(_create_user(url, email, password, organization, role, name))
    except Problem as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2 if exc.status == 422 else 1) from None
    typer.echo(f"Portal user {created} ({role}) of {organization!r} created.")


if __name__ == "__main__":
    app()
