"""Accounts: merchants, hosts and viewers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, StringConstraints

from live.schemas.common import Input, Name, Output, Password, PaymentMethodRef


class MerchantSignup(Input):
    name: Name
    email: EmailStr
    password: Password


class SessionCreate(Input):
    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class HostInvite(Input):
    display_name: Name
    email: EmailStr
    password: Password


class Address(Input):
    name: Name
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class ViewerCreate(Input):
    display_name: Name
    email: EmailStr | None = None
    password: Password | None = None
    shipping_address: Address | None = None
    payment_method: PaymentMethodRef | None = None


class ViewerPatch(Input):
    display_name: Name | None = None
    email: EmailStr | None = None
    shipping_address: Address | None = None
    payment_method: PaymentMethodRef | None = None


class MerchantOut(Output):
    id: str
    name: str
    created_at: datetime


class UserOut(Output):
    id: str
    role: str
    display_name: str
    email: str | None
    merchant_id: str | None
    shipping_address: dict[str, str | None] | None
    payment_method: str | None
    created_at: datetime


class SignupOut(Output):
    merchant: MerchantOut
    user: UserOut
    token: str


class SessionOut(Output):
    token: str
    user: UserOut


class HostCreated(Output):
    host: UserOut


class HostList(Output):
    hosts: list[UserOut]


class ViewerOut(Output):
    viewer: UserOut
    token: str
