"""The durable data model, one module per domain over one declarative ``Base``. Ids are application-made
strings (see ``live.ids``); money is integer minor units plus an ISO currency; every time is UTC.

Importing the package imports every domain module, so ``Base.metadata`` holds the whole schema (alembic's
env and ``create_all`` read it from here) and ``from db.models import X`` works for every model."""

from db.models.accounts import Merchant, User
from db.models.affiliates import Affiliate, AffiliateClick, AffiliateTerms, CommissionEntry
from db.models.base import ID, NAMING_CONVENTION, ORDER_ID, Base, Money, UTCDateTime, utcnow
from db.models.catalogue import Offer, Product, Show
from db.models.community import (
    Answer,
    ChatMessage,
    CommunitySettings,
    Expert,
    Question,
    Review,
    ReviewVote,
    ShowModeration,
)
from db.models.issues import OrderIssue, OrderIssueMessage
from db.models.orders import Order, Payment, WebhookEvent
from db.models.stats import ShowMinute, ShowStats

__all__ = [
    "ID",
    "NAMING_CONVENTION",
    "ORDER_ID",
    "Affiliate",
    "AffiliateClick",
    "AffiliateTerms",
    "Answer",
    "Base",
    "ChatMessage",
    "CommissionEntry",
    "CommunitySettings",
    "Expert",
    "Merchant",
    "Money",
    "Offer",
    "Order",
    "OrderIssue",
    "OrderIssueMessage",
    "Payment",
    "Product",
    "Question",
    "Review",
    "ReviewVote",
    "Show",
    "ShowMinute",
    "ShowModeration",
    "ShowStats",
    "UTCDateTime",
    "User",
    "WebhookEvent",
    "utcnow",
]
