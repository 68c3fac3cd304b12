from collections.abc import AsyncIterator

import httpx
import pytest

from chargedesk.app import create_app


@pytest.fixture
async def web(db, settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the portal's pages (the app at /, not the API at /api/v1); it keeps cookies."""
    transport = httpx.ASGITransport(app=create_app(settings, db=db))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
