from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, HttpUrl, model_validator

from chargedesk.schemas import CountryAlpha3, CustomGroups, Maintenance, Out, Strict, partial


class ParkingType(StrEnum):
    ALONG_MOTORWAY = "ALONG_MOTORWAY"
    PARKING_GARAGE = "PARKING_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    ON_DRIVEWAY = "ON_DRIVEWAY"
    ON_STREET = "ON_STREET"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"


class Facility(StrEnum):
    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BIKE_SHARING = "BIKE_SHARING"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAM_STOP = "TRAM_STOP"
    METRO_STATION = "METRO_STATION"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    PARKING_LOT = "PARKING_LOT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class Coordinates(Strict):
    latitude: float = Field(ge=-90, le=90, description="WGS 84 degrees, -90 to 90")
    longitude: float = Field(ge=-180, le=180, description="WGS 84 degrees, -180 to 180")


_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class RegularHours(Strict):
    weekday: int = Field(ge=1, le=7, description="1 = Monday … 7 = Sunday")
    period_begin: str = Field(pattern=_HHMM, examples=["08:00"])
    period_end: str = Field(pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$", examples=["18:00"])

    @model_validator(mode="after")
    def _order(self) -> "RegularHours":
        if self.period_end <= self.period_begin:
            raise ValueError("period_end must be after period_begin")
        return self


class ExceptionalPeriod(Strict):
    period_begin: datetime
    period_end: datetime

    @model_validator(mode="after")
    def _order(self) -> "ExceptionalPeriod":
        if self.period_end <= self.period_begin:
            raise ValueError("period_end must be after period_begin")
        return self


class OpeningTimes(Strict):
    """OCPI 2.2.1 Hours."""

    twentyfourseven: bool
    regular_hours: list[RegularHours] = Field(default_factory=list)
    exceptional_openings: list[ExceptionalPeriod] = Field(default_factory=list)
    exceptional_closings: list[ExceptionalPeriod] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "OpeningTimes":
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("regular_hours must be empty when twentyfourseven is true")
        return self


class BusinessDetails(Strict):
    """OCPI 2.2.1 BusinessDetails."""

    name: str = Field(min_length=1, max_length=100)
    website: HttpUrl | None = None


def _time_zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Amsterdam)")
    return value


_ZONES = available_timezones()
TimeZone = Annotated[str, AfterValidator(_time_zone)]


class LocationIn(Strict):
    """A location as created (POST) or replaced (PUT)."""

    organization_id: str | None = Field(None, description="Defaults to the API key's organisation.")
    external_id: str | None = Field(None, max_length=100, description="Your own id, e.g. the CRM's.")
    name: str = Field(min_length=1, max_length=255)
    address: str = Field(min_length=1, max_length=255)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str | None = Field(None, max_length=20)
    state: str | None = Field(None, max_length=100)
    country: CountryAlpha3
    coordinates: Coordinates
    time_zone: TimeZone | None = None
    parking_type: ParkingType | None = None
    facilities: list[Facility] = Field(default_factory=list)
    opening_times: OpeningTimes | None = None
    directions: str | None = Field(None, max_length=2000)
    operator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    custom_groups: CustomGroups = Field(default_factory=list)
    remarks: str | None = Field(None, max_length=10000)
    maintenance: Maintenance | None = None
    published: bool | None = Field(
        None,
        description="Whether drivers may see it. Not sent: new locations are published, others keep theirs.",
    )


LocationPatch = partial(LocationIn, "LocationPatch")


class LocationOut(Out):
    id: str
    organization_id: str
    external_id: str | None
    name: str
    address: str
    city: str
    postal_code: str | None
    state: str | None
    country: str
    coordinates: Coordinates
    time_zone: str | None
    parking_type: str | None
    facilities: list[str]
    opening_times: OpeningTimes | None
    directions: str | None
    operator: BusinessDetails | None
    owner: BusinessDetails | None
    custom_groups: list[str]
    remarks: str | None
    maintenance: Maintenance | None
    published: bool
    private: bool = Field(description="True while the authorization list is not empty (read-only).")
    station_count: int = Field(description="Charge stations linked to this location (read-only).")
    created_at: datetime
    updated_at: datetime
