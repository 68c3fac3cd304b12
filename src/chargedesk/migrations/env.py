import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from chargedesk.db import make_engine
from chargedesk.models import Base

target_metadata = Base.metadata


def _include_name(name: str | None, type_: str, _parents: dict) -> bool:
    # The FTS5 search table and its shadow tables are made by raw SQL (0005_search), not by the models.
    return not (type_ == "table" and name is not None and name.startswith("locations_search"))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main(url: str) -> None:
    engine = make_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run() -> None:
    url = context.config.attributes.get("database_url") or context.config.get_main_option("sqlalchemy.url")
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_main(url))
        return
    # Called from inside a running loop (tests, the serve lifespan): run on a fresh loop in a thread.
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(_main(url))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


run()
