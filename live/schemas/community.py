"""Community and trust: reviews, votes, questions and answers, experts, rankings, complaints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from live.schemas.common import Cents, Id, Input, Output, Password, Query, _no_control_chars

Badge = Literal["host", "merchant", "expert", "buyer"]
Rating = Annotated[int, Field(ge=1, le=5, description="Stars, 1-5")]


ReviewTitle = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(_no_control_chars)]
ReviewBody = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_no_control_chars)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(_no_control_chars)]
Cursor = Annotated[str, Field(max_length=200)]
Limit = Annotated[int, Field(ge=1, le=100)]
IssueKind = Literal["not_received", "damaged", "wrong_item", "other"]
IssueState = Literal["open", "answered", "resolved", "declined"]


class Author(Output):
    """Who wrote it, as the public sees them (no account id)."""

    display_name: str
    badges: list[Badge]


# Reviews.


class ReviewIn(Input):
    rating: Rating
    title: ReviewTitle | None = None
    body: ReviewBody


class ReviewPatch(Input):
    rating: Rating | None = None
    title: ReviewTitle | None = None
    body: ReviewBody | None = None


class ReviewQuery(Query):
    sort: Literal["recent", "helpful", "rating"] = "recent"
    limit: Limit = 20
    cursor: Cursor | None = None


class ReplyOut(Output):
    text: str
    created_at: datetime


class ReviewOut(Output):
    id: str
    product_id: str
    rating: int
    title: str | None
    body: str
    author: Author
    verified_purchase: bool = Field(description="Always true: only buyers with a paid order may review")
    helpful: int = Field(description="Helpful votes")
    created_at: datetime
    edited_at: datetime | None
    reply: ReplyOut | None = Field(description="The merchant's public reply")
    reported: bool = Field(description="The merchant reported it as abusive (it still shows and counts)")


class ReviewSummary(Output):
    average: float | None
    count: int
    histogram: dict[str, int] = Field(description='Reviews per star: {"1": n, ..., "5": n}')


class ReviewPage(Output):
    summary: ReviewSummary
    reviews: list[ReviewOut]
    next_cursor: str | None


class MerchantReviewOut(ReviewOut):
    product_title: str
    author_id: str = Field(description="The reviewer's account, e.g. to name them an expert")


class MerchantReviewList(Output):
    reviews: list[MerchantReviewOut]
    next_cursor: str | None


class VoteIn(Input):
    helpful: bool


class VoteOut(Output):
    review_id: str
    helpful: int


class ReplyIn(Input):
    text: ReviewBody


class ReportIn(Input):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_no_control_chars)]


# Questions and answers.


class QuestionIn(Input):
    text: ShortText


class AnswerIn(Input):
    text: ReviewBody


class AnswerOut(Output):
    id: str
    text: str
    label: Literal["merchant", "host", "buyer"]
    author: Author
    created_at: datetime


class QuestionOut(Output):
    id: str
    product_id: str | None
    product_title: str | None = None
    show_id: str | None
    text: str
    author: Author
    created_at: datetime
    answered_at: datetime | None
    answers: list[AnswerOut]


class QuestionList(Output):
    questions: list[QuestionOut]


class MerchantQuestionQuery(Query):
    unanswered: bool = False


# Experts.


class ExpertOut(Output):
    user_id: str
    display_name: str
    source: Literal["named", "earned"]
    paid_orders: int
    helpful_votes: int


class ExpertList(Output):
    experts: list[ExpertOut]


class CommunitySettingsIn(Input):
    expert_min_orders: Annotated[int, Field(ge=1, le=1000)]
    expert_min_helpful: Annotated[int, Field(ge=0, le=100_000)]


class CommunitySettingsOut(Output):
    expert_min_orders: int
    expert_min_helpful: int


# Rankings.


class RankingQuery(Query):
    by: Literal["rating", "sales", "reviews"] = "rating"
    limit: Limit = 10


class RankedProduct(Output):
    product_id: str
    title: str
    image_url: str | None
    rating: float | None = Field(description="Plain average of the reviews")
    reviews: int
    score: float | None = Field(description="Bayesian average (what 'rating' ranks by)")
    units_sold: int


class RankingOut(Output):
    by: str
    products: list[RankedProduct]


# Complaints.


class IssueIn(Input):
    kind: IssueKind
    text: ReviewBody


class IssueMessageIn(Input):
    text: ReviewBody


class ResolveIn(Input):
    refund_cents: Cents | None = Field(default=None, description="Omit for a full refund")
    text: ReviewBody | None = None


class DeclineIn(Input):
    reason: ReviewBody


class IssueMessageOut(Output):
    id: str
    author_role: Literal["buyer", "merchant"]
    display_name: str
    text: str
    created_at: datetime


class IssueOut(Output):
    id: str
    order_id: str
    show_id: str
    buyer_id: str
    buyer_name: str
    kind: IssueKind
    state: IssueState
    amount_cents: int = Field(description="What the buyer paid for the order")
    currency: str
    refund_cents: int = Field(description="Refunded through this complaint")
    decline_reason: str | None
    created_at: datetime
    first_answer_at: datetime | None
    closed_at: datetime | None
    messages: list[IssueMessageOut]


class IssueList(Output):
    issues: list[IssueOut]


class IssueQuery(Query):
    state: IssueState | None = None


class ComplaintStats(Output):
    total: int
    open: int
    answered: int
    resolved: int
    declined: int
    refunded_cents: int
    median_first_answer_seconds: float | None = Field(
        description="Median time from a complaint to the merchant's first answer; null before any answer")


# Signing in on any device.


class CredentialsIn(Input):
    email: EmailStr
    password: Password


class AnsweringIn(Input):
    message_id: Id | None = Field(description="The chat message being answered; null clears the highlight")


class AnsweringOut(Output):
    show_id: str
    message: dict[str, object] | None
