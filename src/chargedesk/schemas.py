"""Pydantic building blocks shared by the domain packages."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model


class Strict(BaseModel):
    """Request bodies: unknown fields are refused by name."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _alpha3(value: str) -> str:
    code = value.upper()
    if pycountry.countries.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-3 country code (e.g. NLD, DEU, BEL)")
    return code


def _alpha2(value: str) -> str:
    code = value.upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. NL, DE, BE)")
    return code


def _groups(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


CountryAlpha3 = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_alpha3)]
CountryAlpha2 = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_alpha2)]
CustomGroups = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=100), AfterValidator(_groups)
]


class MaintenanceStatus(StrEnum):
    ok = "ok"
    scheduled = "scheduled"
    in_progress = "in_progress"
    needs_attention = "needs_attention"
    out_of_service = "out_of_service"


class Maintenance(Strict):
    status: MaintenanceStatus = MaintenanceStatus.ok
    notes: str | None = Field(None, max_length=4000)
    last_visit: date | None = None
    next_visit: date | None = None


M = TypeVar("M", bound=BaseModel)


def partial(model: type[M], name: str) -> type[M]:
    """The same fields, all optional, for a PATCH: a field that is sent is validated as in `model` (so null
    is refused where `model` refuses it); a field that is not sent is left as it is."""
    fields: dict[str, Any] = {
        field_name: (info.rebuild_annotation(), Field(None, description=info.description))
        for field_name, info in model.model_fields.items()
    }
    return create_model(name, __base__=Strict, **fields)  # type: ignore[return-value]
