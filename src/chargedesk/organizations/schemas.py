from datetime import datetime

from pydantic import Field

from chargedesk.schemas import CountryAlpha2, Out, Strict, partial


class OrganizationIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    parent_id: str | None = Field(None, description="The parent organisation; defaults to the key's own.")
    external_id: str | None = Field(None, max_length=100)
    country_code: CountryAlpha2 | None = Field(None, description="OCPI party country (ISO 3166 alpha-2).")
    party_id: str | None = Field(None, pattern=r"^[A-Za-z0-9]{3}$", description="OCPI party id (3 characters).")
    default_whitelist: bool = Field(False, description="New passes of this organisation are whitelisted.")


OrganizationPatch = partial(OrganizationIn, "OrganizationPatch")


class OrganizationOut(Out):
    id: str
    parent_id: str | None
    name: str
    external_id: str | None
    country_code: str | None
    party_id: str | None
    default_whitelist: bool
    created_at: datetime
    updated_at: datetime
