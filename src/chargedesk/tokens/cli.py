"""`chargedesk tokens …`: bulk import of charge tokens."""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from chargedesk.auth.deps import Principal

from chargedesk.cli_common import DatabaseUrl
from chargedesk.cli_common import database_url_or_default as _url

tokens_app = typer.Typer(help="Charge tokens: bulk import.", no_args_is_help=True)


async def _principal(session: "AsyncSession", organization: str | None, location_id: str | None) -> "Principal":
    """The CLI acts as an admin of the named organisation, or of the whole tree of the location's organisation."""
    from chargedesk.auth.deps import Principal
    from chargedesk.locations.models import Location
    from chargedesk.organizations import service as organizations

    if organization is not None:
        org = await organizations.by_name(session, organization)
        if org is None:
            typer.echo(f"No organisation named {organization!r} (names are case-sensitive).", err=True)
            raise typer.Exit(2)
    else:
        location = await session.get(Location, location_id)
        if location is None:
            typer.echo(f"No location with id {location_id!r}.", err=True)
            raise typer.Exit(2)
        org = await organizations.get(session, location.organization_id)
        org = await organizations.get(session, org.root_id)
    visible = await organizations.descendant_ids(session, org.id)
    return Principal(key_id="cli", organization_id=org.id, role="admin", visible=visible)


async def _import(
    url: str, path: Path, organization: str | None, location_id: str | None, clear: bool, dry_run: bool
) -> dict[str, object]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from chargedesk.db import Database
    from chargedesk.errors import Problem
    from chargedesk.locations.authorization_import import import_list
    from chargedesk.tokens import bulk

    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            principal = await _principal(session, organization, location_id)
            columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
            with Progress(*columns, transient=True) as progress, path.open("rb") as stream:
                task = progress.add_task("checking" if dry_run else "importing", total=path.stat().st_size)

                def advance(done: int) -> None:
                    progress.update(task, completed=done)

                try:
                    if location_id is None:
                        report = await bulk.import_tokens(session, principal, stream, dry_run=dry_run, progress=advance)
                    else:
                        report = await import_list(
                            session, principal, location_id, stream, clear=clear, dry_run=dry_run, progress=advance
                        )
                except Problem as exc:
                    typer.echo(exc.detail, err=True)
                    raise typer.Exit(2) from None
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
    organization: Annotated[
        str | None, typer.Option(help="The organisation (by name) whose tokens these are; needed without --location.")
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(help="Import into this location's authorization list (one auth_id or uid per row) instead."),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="With --location: replace the list's charge tokens with the file's.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file and report; change nothing.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Import charge tokens from CSV: passes (the columns of POST /api/v1/tokens/import), or with --location the
    auth IDs of a location's authorization list. Prints the report as JSON; exits with status 1, having changed
    nothing, when any row is bad."""
    import json

    from chargedesk.migrations import upgrade

    if organization is None and location is None:
        typer.echo("Name the organisation (--organization NAME) or the location (--location ID).", err=True)
        raise typer.Exit(2)
    if clear and location is None:
        typer.echo("--clear empties a location's authorization list first: use it with --location ID.", err=True)
        raise typer.Exit(2)
    url = _url(database_url)
    upgrade(url)
    report = asyncio.run(_import(url, file, organization, location, clear, dry_run))
    typer.echo(json.dumps(report, indent=2, default=str))
    if report["errors"]:
        typer.echo(f"{len(report['errors'])} bad row(s): nothing was imported.", err=True)
        raise typer.Exit(1)
