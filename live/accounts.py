"""Account domain: merchant sign-up and log-in, hosts invited by a merchant, viewers with one-tap details."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Merchant, User
from live.auth import Principal, Role, hash_password, verify_password
from live.errors import Conflict, NotFound, Unauthorized
from live.ids import new_id
from live.lookup import found
from live.schemas.accounts import ViewerCreate, ViewerPatch
from live.storage import commit_or_conflict


def principal_for(user: User) -> Principal:
    role: Role = user.role  # type: ignore[assignment]  # the CHECK constraint allows only these
    return Principal(
        user_id=user.id,
        role=role,
        merchant_id=user.merchant_id,
        display_name=user.display_name,
        has_payment_method=bool(user.payment_method),
    )


def _normal_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


async def _ensure_email_free(session: AsyncSession, email: str | None, except_user: str | None = None) -> None:
    if email is None:
        return
    found = await session.scalar(select(User.id).where(User.email == email))
    if found is not None and found != except_user:
        raise Conflict("an account with this email exists", code="email_taken")


async def commit_new(session: AsyncSession) -> None:
    await commit_or_conflict(session, "an account with this email exists", "email_taken")


async def create_merchant(session: AsyncSession, name: str, email: str, password: str) -> tuple[Merchant, User]:
    email_n = _normal_email(email)
    await _ensure_email_free(session, email_n)
    merchant = Merchant(id=new_id("mer"), name=name)
    owner = User(
        id=new_id("usr"), role="merchant", merchant_id=merchant.id, email=email_n,
        password_hash=await hash_password(password), display_name=name,
    )
    session.add(merchant)
    await session.flush()
    session.add(owner)
    await commit_new(session)
    return merchant, owner


async def login(session: AsyncSession, email: str, password: str) -> User:
    user = await session.scalar(select(User).where(User.email == _normal_email(email)))
    if not await verify_password(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    return user


async def new_member(session: AsyncSession, role: Role, merchant_id: str, display_name: str, email: str,
                     password: str) -> User:
    """A host or an affiliate of the merchant, added to the session (the caller commits with commit_new)."""
    email_n = _normal_email(email)
    await _ensure_email_free(session, email_n)
    user = User(
        id=new_id("usr"), role=role, merchant_id=merchant_id, email=email_n,
        password_hash=await hash_password(password), display_name=display_name,
    )
    session.add(user)
    return user


async def create_host(session: AsyncSession, merchant_id: str, display_name: str, email: str, password: str) -> User:
    host = await new_member(session, "host", merchant_id, display_name, email, password)
    await commit_new(session)
    return host


async def list_hosts(session: AsyncSession, merchant_id: str) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.merchant_id == merchant_id, User.role == "host").order_by(User.id)
    )
    return list(rows)


async def create_viewer(session: AsyncSession, data: ViewerCreate) -> User:
    email_n = _normal_email(data.email)
    await _ensure_email_free(session, email_n)
    password_hash = await hash_password(data.password) if data.password else None
    viewer = User(
        id=new_id("usr"), role="viewer", email=email_n, display_name=data.display_name, password_hash=password_hash,
        shipping_address=data.shipping_address.model_dump() if data.shipping_address else None,
        payment_method=data.payment_method,
    )
    session.add(viewer)
    await commit_new(session)
    return viewer


async def get_user(session: AsyncSession, user_id: str) -> User:
    return await found(session, User, user_id, "account")


async def update_viewer(session: AsyncSession, user_id: str, patch: ViewerPatch) -> User:
    viewer = await get_user(session, user_id)
    changes = patch.model_dump(exclude_unset=True)
    if "email" in changes:
        changes["email"] = _normal_email(changes["email"])
        await _ensure_email_free(session, changes["email"], except_user=viewer.id)
    for field, value in changes.items():
        setattr(viewer, field, value)
    await commit_new(session)
    return viewer


async def merchant_name(session: AsyncSession, merchant_id: str) -> str:
    name = await session.scalar(select(Merchant.name).where(Merchant.id == merchant_id))
    if name is None:
        raise NotFound("no such merchant")
    return name


async def set_credentials(session: AsyncSession, user_id: str, email: str, password: str) -> User:
    """A viewer's email and password, so they can sign in on another device (community: returning viewers)."""
    viewer = await get_user(session, user_id)
    email_n = _normal_email(email)
    await _ensure_email_free(session, email_n, except_user=viewer.id)
    viewer.email, viewer.password_hash = email_n, await hash_password(password)
    await commit_new(session)
    return viewer
