"""Demo data for `make run`: an operator with a sub-organisation, locations, stations, customers and tokens."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.keys import hash_key
from chargedesk.auth.models import ApiKey
from chargedesk.customers.models import Customer
from chargedesk.ids import new_id
from chargedesk.locations.models import Location
from chargedesk.organizations import service as organizations
from chargedesk.organizations.models import Organization
from chargedesk.portal import users
from chargedesk.stations.models import ChargeStation
from chargedesk.tokens.models import Token

# A fixed, well-known key so that every start of the demo can print it. Demo data only.
DEMO_ADMIN_KEY = "cdk_demo-admin-key-for-local-use-only"
DEMO_LOGIN_EMAIL = "admin@demo.chargedesk.local"
DEMO_LOGIN_PASSWORD = "demo-password"

_T2 = {
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": 400,
    "max_amperage": 32,
    "max_electric_power": 22000,
}
_CCS = {
    "standard": "IEC_62196_T2_COMBO",
    "format": "CABLE",
    "power_type": "DC",
    "max_voltage": 920,
    "max_amperage": 200,
    "max_electric_power": 150000,
}


async def load(session: AsyncSession) -> bool:
    """Load the demo data into an empty database; returns False (and changes nothing) if it has any organisation."""
    if await session.scalar(select(func.count()).select_from(Organization)):
        return False
    operator = await organizations.create(session, "Demo Operator", country_code="NL", party_id="DEM")
    vve = await organizations.create(session, "Parkside Residences", operator.id, default_whitelist=True)
    session.add(
        ApiKey(
            id=new_id("key"),
            organization_id=operator.id,
            role="admin",
            name="demo admin",
            key_hash=hash_key(DEMO_ADMIN_KEY),
            prefix=DEMO_ADMIN_KEY[:12],
        )
    )
    await users.create(session, DEMO_LOGIN_EMAIL, DEMO_LOGIN_PASSWORD, operator.id, "admin", name="Demo admin")
    sites = [
        (
            operator.id,
            "Station Square",
            "Stationsplein 1",
            "Amsterdam",
            "1012 AB",
            52.3791,
            4.9003,
            ["city-centre"],
        ),
        (
            operator.id,
            "Harbour Car Park",
            "Havenweg 12",
            "Rotterdam",
            "3011 AA",
            51.9055,
            4.4667,
            ["parking", "fast"],
        ),
        (vve.id, "Parkside Garage", "Parklaan 5", "Utrecht", "3581 AA", 52.0894, 5.1278, ["residential"]),
    ]
    locations = []
    for org_id, name, address, city, postal, lat, lon, groups in sites:
        location = Location(
            id=new_id("loc"),
            organization_id=org_id,
            name=name,
            address=address,
            city=city,
            postal_code=postal,
            country="NLD",
            latitude=lat,
            longitude=lon,
            time_zone="Europe/Amsterdam",
            parking_type="PARKING_LOT",
            facilities=[],
            custom_groups=groups,
            published=True,
            opening_times={
                "twentyfourseven": True,
                "regular_hours": [],
                "exceptional_openings": [],
                "exceptional_closings": [],
            },
        )
        location.search_text = " ".join([name, address, city, postal]).lower()
        locations.append(location)
    session.add_all(locations)
    await session.flush()
    stations = [
        ("DEMO-AMS-01", operator.id, locations[0].id, "public", [_T2, _T2]),
        ("DEMO-AMS-02", operator.id, locations[0].id, "public", [_T2]),
        ("DEMO-RTM-01", operator.id, locations[1].id, "public", [_CCS]),
        ("DEMO-UTR-01", vve.id, locations[2].id, "whitelist", [_T2, _T2]),
    ]
    for station_id, org_id, location_id, access_mode, connectors in stations:
        evses = [{"evse_id": i + 1, "connectors": [{**c, "id": i + 1}]} for i, c in enumerate(connectors)]
        session.add(
            ChargeStation(
                id=station_id,
                organization_id=org_id,
                location_id=location_id,
                vendor="Alfen",
                model="Eve Double Pro",
                charger_type="AC wallbox" if connectors[0] is _T2 else "DC fast",
                access_mode=access_mode,
                evses=evses,
                configuration={"HeartbeatInterval": "300"},
            )
        )
    people = [
        (
            operator.id,
            "Ada Janssen",
            "CRM-1001",
            [("04AAAB11CD2345", "NL-DEM-C00000001-J", "NL-DEM-B12345-6", False)],
        ),
        (
            operator.id,
            "Fleet Co",
            "CRM-1002",
            [("0A1B2C3D", None, None, False), ("12345678", None, None, False)],
        ),
        (vve.id, "Resident 4B", "VVE-4B", [("04B1C2D3E4F5A6", None, "NL-DEM-B22222-1", True)]),
    ]
    for org_id, name, external_id, tokens in people:
        customer = Customer(
            id=new_id("cus"),
            organization_id=org_id,
            name=name,
            external_id=external_id,
            search_text=f"{name} {external_id}".lower(),
        )
        session.add(customer)
        await session.flush()
        for uid, auth_id, visual, whitelist in tokens:
            auth = auth_id or uid
            session.add(
                Token(
                    id=new_id("tok"),
                    organization_id=org_id,
                    root_organization_id=operator.id,
                    customer_id=customer.id,
                    uid=uid,
                    auth_id=auth,
                    auth_key=auth.upper(),
                    visual_number=visual,
                    whitelist=whitelist,
                    nickname=f"{name} card",
                )
            )
    await session.flush()
    return True
