"""Options shared by the `chargedesk` sub-commands."""

from typing import Annotated

import typer

from chargedesk.config import get_settings

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Overrides CHARGEDESK_DATABASE_URL.", show_default=False)
]


def database_url_or_default(database_url: str | None) -> str:
    return database_url or get_settings().database_url
