"""`chargedesk tokens …`: bulk import of charge tokens."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from chargedesk.cli_common import DatabaseUrl
from chargedesk.cli_common import database_url_or_default as _url

tokens_app = typer.Typer(help="Charge tokens: bulk import.", no_args_is_help=True)


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
