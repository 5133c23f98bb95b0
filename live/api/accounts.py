"""Accounts: merchant sign-up, sessions, hosts, viewers."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from live import accounts, keys
from live.api.routing import PUBLIC, ApiRouter, Call, Created, Reply, render
from live.auth import COOKIE_NAME, Principal
from live.errors import Unauthorized
from live.limits import hashed
from live.schemas.accounts import (
    HostCreated,
    HostInvite,
    HostList,
    MerchantOut,
    MerchantSignup,
    SessionCreate,
    SessionOut,
    SignupOut,
    UserOut,
    ViewerCreate,
    ViewerOut,
    ViewerPatch,
)

router = ApiRouter("accounts")


def _issue(call: Call[Any, Any], principal: Principal) -> str:
    return call.app[keys.tokens_key].issue(principal)


def with_cookie(call: Call[Any, Any], reply: Reply, token: str) -> web.Response:
    """The same token as an HttpOnly cookie, for the pages."""
    response = render(reply, reply.status)
    assert isinstance(response, web.Response)
    response.set_cookie(
        COOKIE_NAME, token, max_age=call.settings.token_ttl_seconds, httponly=True, samesite="Strict",
        secure=call.settings.cookie_secure or call.settings.public_origin.startswith("https:"), path="/",
    )
    return response


@router.post("/api/merchants", summary="Sign up a merchant", roles=None, body=MerchantSignup,
             response=SignupOut, status=201, errors=(409, 429), creates=Created("merchant_id", "/merchant/id"))
async def create_merchant(call: Call[MerchantSignup, None]) -> web.Response:
    await call.limiter.hit("signups_per_address", call.client_address, message="too many sign-ups from here")
    await call.limiter.hit("signups_per_email", hashed(call.body.email), message="too many sign-ups for this email")
    async with call.session() as session:
        merchant, owner = await accounts.create_merchant(session, call.body.name, call.body.email, call.body.password)
    token = _issue(call, accounts.principal_for(owner))
    out = SignupOut(merchant=MerchantOut.model_validate(merchant), user=UserOut.model_validate(owner), token=token)
    return with_cookie(call, Reply(out, 201), token)


@router.post("/api/sessions", summary="Log in (merchant, host or affiliate)", roles=None, body=SessionCreate,
             response=SessionOut, status=200, errors=(429,))
async def create_session(call: Call[SessionCreate, None]) -> web.Response:
    """Each address has its rate of attempts; failures lock an email for that address for a few minutes, and
    for everyone only briefly (so a stranger's failures cannot keep the real user out for long)."""
    address, email = call.client_address, hashed(call.body.email)
    await call.limiter.hit("logins_per_address", address, message="too many log-in attempts from here")
    await call.limiter.check("login_failures_per_email_and_address", email, address)
    await call.limiter.check("login_failures_per_email", email)
    try:
        async with call.session() as session:
            user = await accounts.login(session, call.body.email, call.body.password)
    except Unauthorized:
        await call.limiter.hit("login_failures_per_email_and_address", email, address)
        await call.limiter.hit("login_failures_per_email", email)
        raise
    await call.limiter.clear("login_failures_per_email_and_address", email, address)
    token = _issue(call, accounts.principal_for(user))
    return with_cookie(call, Reply(SessionOut(token=token, user=UserOut.model_validate(user)), 200), token)


@router.delete("/api/sessions", summary="Log out (clears the page cookie)", roles=None, status=204)
async def delete_session(call: Call[None, None]) -> web.Response:
    response = web.Response(status=204)
    response.del_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/api/me", summary="The signed-in account", roles=PUBLIC, response=UserOut)
async def get_me(call: Call[None, None]) -> UserOut:
    async with call.session() as session:
        return UserOut.model_validate(await accounts.get_user(session, call.user.user_id))


@router.post("/api/merchants/me/hosts", summary="Invite a host", roles=("merchant",), body=HostInvite,
             response=HostCreated, status=201, errors=(409,))
async def create_host(call: Call[HostInvite, None]) -> HostCreated:
    assert call.user.merchant_id
    async with call.session() as session:
        host = await accounts.create_host(
            session, call.user.merchant_id, call.body.display_name, call.body.email, call.body.password
        )
    return HostCreated(host=UserOut.model_validate(host))


@router.get("/api/merchants/me/hosts", summary="The merchant's hosts", roles=("merchant",), response=HostList)
async def list_hosts(call: Call[None, None]) -> HostList:
    assert call.user.merchant_id
    async with call.session() as session:
        hosts = await accounts.list_hosts(session, call.user.merchant_id)
    return HostList(hosts=[UserOut.model_validate(h) for h in hosts])


@router.post("/api/viewers", summary="Register a viewer", roles=None, body=ViewerCreate, response=ViewerOut,
             status=201, errors=(409, 429))
async def create_viewer(call: Call[ViewerCreate, None]) -> web.Response:
    await call.limiter.hit("viewers_per_address", call.client_address, message="too many new viewers from here")
    async with call.session() as session:
        viewer = await accounts.create_viewer(session, call.body)
    token = _issue(call, accounts.principal_for(viewer))
    return with_cookie(call, Reply(ViewerOut(viewer=UserOut.model_validate(viewer), token=token), 201), token)


@router.patch("/api/viewers/me", summary="Change the viewer's name, address or payment method (new token)",
              roles=("viewer", "affiliate"), body=ViewerPatch, response=ViewerOut, errors=(409,))
async def update_viewer(call: Call[ViewerPatch, None]) -> web.Response:
    async with call.session() as session:
        viewer = await accounts.update_viewer(session, call.user.user_id, call.body)
    token = _issue(call, accounts.principal_for(viewer))
    return with_cookie(call, Reply(ViewerOut(viewer=UserOut.model_validate(viewer), token=token)), token)
