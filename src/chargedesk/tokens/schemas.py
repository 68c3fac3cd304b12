from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from chargedesk.schemas import Out, Strict, partial


class TokenType(StrEnum):
    RFID = "RFID"
    APP = "APP"
    OTHER = "OTHER"
    AD_HOC = "AD_HOC"


class TokenStatus(StrEnum):
    active = "active"
    blocked = "blocked"


class TokenIn(Strict):
    """A charge token as created (POST); PATCH takes any of these fields except uid and auth_id."""

    organization_id: str | None = Field(None, description="Defaults to the customer's, else the API key's.")
    customer_id: str | None = Field(None, description="The customer who holds the token.")
    uid: str | None = Field(
        None, max_length=64, description="Chip UID (hidden ID): what the station sends as idTag, e.g. 04AAAB11CD2345."
    )
    auth_id: str | None = Field(None, max_length=64, description="Contract ID (eMAID); defaults to the uid.")
    visual_number: str | None = Field(
        None, max_length=64, description="The number printed on the card, e.g. NL-TNM-B12345-6."
    )
    type: TokenType = TokenType.RFID
    issuer: str | None = Field(None, max_length=64)
    nickname: str | None = Field(None, max_length=100)
    status: TokenStatus = TokenStatus.active
    valid_until: datetime | None = None
    whitelist: bool | None = Field(
        None, description="Free charging at the organisation's stations. Not sent: the organisation's default."
    )
    external: bool = Field(False, description="Issued by another provider (roaming).")
    group_id: str | None = Field(None, max_length=36)
    max_concurrent_transactions: int = Field(1, ge=1, le=100)


TokenPatch = partial(TokenIn, "TokenPatch")


class IdentifierWarning(BaseModel):
    field: str
    message: str


class TokenOut(Out):
    id: str
    organization_id: str
    customer_id: str | None
    uid: str | None
    auth_id: str
    visual_number: str | None
    type: str
    issuer: str | None
    nickname: str | None
    status: str
    valid_until: datetime | None
    whitelist: bool
    external: bool
    group_id: str | None
    max_concurrent_transactions: int
    warnings: list[IdentifierWarning] = Field(
        default_factory=list, description="Accepted, but worth a check, e.g. a uid that is not 8/14/20 hex."
    )
    created_at: datetime
    updated_at: datetime
