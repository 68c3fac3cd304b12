"""The `chargedesk` command."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from chargedesk.config import get_settings

app = typer.Typer(help="chargedesk: a back office for charge point operators.", no_args_is_help=True)
api_key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")
tokens_app = typer.Typer(help="Charge tokens: bulk import.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides CHARGEDESK_DATABASE_URL.", show_default=False)
]


def _url(database_url: str | None) -> str:
    return database_url or get_settings().database_url


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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to CHARGEDESK_HOST (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to CHARGEDESK_PORT (8000).")] = None,
    database_url: DatabaseUrl = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load demo data into an empty database.")] = False,
) -> None:
    """Run the API, the portal and the OCPP gateway in one process (migrates first)."""
    import uvicorn

    from chargedesk.app import create_app
    from chargedesk.migrations import upgrade

    settings = get_settings().model_copy()
    if database_url:
        settings.database_url = database_url
    settings.host = host or settings.host
    settings.port = port or settings.port
    upgrade(settings.database_url)
    if demo or settings.demo_data:
        from chargedesk.demo import DEMO_ADMIN_KEY

        if asyncio.run(_load_demo(settings.database_url)):
            typer.echo("Loaded demo data.")
        typer.echo(f"Demo admin API key: {DEMO_ADMIN_KEY}")
    typer.echo(f"chargedesk on http://{settings.host}:{settings.port} (API docs: /docs)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


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


async def _import_tokens(url: str, path: Path, organization: str, dry_run: bool) -> dict[str, object]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from chargedesk.auth.deps import Principal
    from chargedesk.db import Database
    from chargedesk.organizations import service as organizations
    from chargedesk.tokens import bulk

    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            org = await organizations.by_name(session, organization)
            if org is None:
                typer.echo(f"No organisation named {organization!r} (names are case-sensitive).", err=True)
                raise typer.Exit(2)
            visible = await organizations.descendant_ids(session, org.id)
            principal = Principal(key_id="cli", organization_id=org.id, role="admin", visible=visible)
            columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
            with Progress(*columns, transient=True) as progress, path.open("rb") as stream:
                task = progress.add_task("checking" if dry_run else "importing", total=path.stat().st_size)
                report = await bulk.import_tokens(
                    session,
                    principal,
                    stream,
                    dry_run=dry_run,
                    progress=lambda done: progress.update(task, completed=done),
                )
            if report.ok and not dry_run:
                await session.commit()
            else:
                await session.rollback()
            return report.as_dict()
    finally:
        await db.dispose()


@tokens_app.command("import")
def tokens_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file.")],
    organization: Annotated[str, typer.Option(help="The organisation (by name) whose tokens these are.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and report; change nothing.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Import charge tokens from CSV (the columns of POST /api/v1/tokens/import). Prints the report as JSON; exits
    with status 1, having changed nothing, when any row is bad."""
    import json

    from chargedesk.migrations import upgrade

    url = _url(database_url)
    upgrade(url)
    report = asyncio.run(_import_tokens(url, file, organization, dry_run))
    typer.echo(json.dumps(report, indent=2, default=str))
    if report["errors"]:
        typer.echo(f"{len(report['errors'])} bad row(s): nothing was imported.", err=True)
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
