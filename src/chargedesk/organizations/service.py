from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.errors import Conflict, Invalid, NotFound
from chargedesk.ids import new_id
from chargedesk.organizations.models import Organization


async def descendant_ids(session: AsyncSession, organization_id: str) -> frozenset[str]:
    """The organisation and every organisation below it (one recursive query)."""
    tree = select(Organization.id).where(Organization.id == organization_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Organization.id).where(Organization.parent_id == tree.c.id))
    return frozenset((await session.scalars(select(tree.c.id))).all())


async def ancestor_ids(session: AsyncSession, organization_id: str) -> list[str]:
    """The organisation and its ancestors, nearest first."""
    chain: list[str] = []
    current: str | None = organization_id
    while current is not None and current not in chain:
        chain.append(current)
        current = await session.scalar(select(Organization.parent_id).where(Organization.id == current))
    return chain


async def get(session: AsyncSession, organization_id: str, visible: frozenset[str] | None = None) -> Organization:
    org = await session.get(Organization, organization_id)
    if org is None or (visible is not None and org.id not in visible):
        raise NotFound(f"No organization with id {organization_id!r}.")
    return org


async def by_name(session: AsyncSession, name: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.name == name))


async def create(session: AsyncSession, name: str, parent_id: str | None = None, **fields: object) -> Organization:
    if await by_name(session, name) is not None:
        raise Conflict(f"An organization named {name!r} exists already; organization names are unique.")
    org_id = new_id("org")
    root_id = org_id
    if parent_id is not None:
        parent = await session.get(Organization, parent_id)
        if parent is None:
            raise Invalid("parent_id", f"No organization with id {parent_id!r}.")
        root_id = parent.root_id
    org = Organization(id=org_id, name=name, parent_id=parent_id, root_id=root_id, **fields)
    session.add(org)
    await session.flush()
    return org


async def get_or_create(session: AsyncSession, name: str) -> Organization:
    return await by_name(session, name) or await create(session, name)


async def update(session: AsyncSession, org: Organization, fields: dict[str, object]) -> Organization:
    if "name" in fields and fields["name"] != org.name and await by_name(session, str(fields["name"])):
        raise Conflict(f"An organization named {fields['name']!r} exists already; organization names are unique.")
    if "parent_id" in fields and fields["parent_id"] != org.parent_id:
        await _move(session, org, fields.pop("parent_id"))  # type: ignore[arg-type]
    for name, value in fields.items():
        setattr(org, name, value)
    await session.flush()
    return org


async def _move(session: AsyncSession, org: Organization, parent_id: str | None) -> None:
    from sqlalchemy import update as sql_update

    from chargedesk.tokens.models import Token

    subtree = await descendant_ids(session, org.id)
    if parent_id is not None and parent_id in subtree:
        raise Invalid("parent_id", "An organization cannot be moved below itself or one of its sub-organizations.")
    new_root = org.id
    if parent_id is not None:
        parent = await session.get(Organization, parent_id)
        if parent is None:
            raise Invalid("parent_id", f"No organization with id {parent_id!r}.")
        new_root = parent.root_id
    org.parent_id = parent_id
    if new_root != org.root_id:
        await session.execute(sql_update(Organization).where(Organization.id.in_(subtree)).values(root_id=new_root))
        await session.execute(
            sql_update(Token).where(Token.organization_id.in_(subtree)).values(root_organization_id=new_root)
        )
        await session.refresh(org)


async def in_tree(session: AsyncSession, visible: frozenset[str]) -> list[Organization]:
    """The visible organisations, by name (the portal nests them by parent_id)."""
    return list(
        (
            await session.scalars(select(Organization).where(Organization.id.in_(visible)).order_by(Organization.name))
        ).all()
    )
