from datetime import datetime

from pydantic import Field

from chargedesk.schemas import Out, Strict, partial


class CustomerIn(Strict):
    """A customer as created (POST); PATCH takes any of these fields."""

    organization_id: str | None = Field(None, description="Defaults to the API key's organisation.")
    name: str = Field(min_length=1, max_length=200, description="A person's or company's name.")
    external_id: str | None = Field(None, max_length=100, description="Your own id, e.g. the CRM's.")
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["ada@example.com"])


CustomerPatch = partial(CustomerIn, "CustomerPatch")


class CustomerOut(Out):
    id: str
    organization_id: str
    name: str
    external_id: str | None
    email: str | None
    token_count: int = Field(description="Charge tokens this customer holds (read-only).")
    created_at: datetime
    updated_at: datetime
