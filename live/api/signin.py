"""Returning viewers: a viewer who bought without an account sets an email and password (the checkout offers
it), then signs in on any device with ``POST /api/sessions`` and buys with one tap."""

from __future__ import annotations

from aiohttp import web

from live import accounts, keys
from live.api.accounts import with_cookie
from live.api.routing import ApiRouter, Call, Reply
from live.schemas.accounts import UserOut, ViewerOut
from live.schemas.community import CredentialsIn

router = ApiRouter("accounts")


@router.route("PUT", "/api/viewers/me/credentials", summary="Set the viewer's email and password, to sign in on "
              "any device (new token)", roles=("viewer",), body=CredentialsIn, response=ViewerOut, errors=(409,))
async def set_credentials(call: Call[CredentialsIn, None]) -> web.Response:
    async with call.session() as session:
        viewer = await accounts.set_credentials(session, call.user.user_id, call.body.email, call.body.password)
    token = call.app[keys.tokens_key].issue(accounts.principal_for(viewer))
    return with_cookie(call, Reply(ViewerOut(viewer=UserOut.model_validate(viewer), token=token)), token)
