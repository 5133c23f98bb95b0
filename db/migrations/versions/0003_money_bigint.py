"""money is 64-bit: every amount in minor units is a BIGINT

An order of 1000 units at 1,000,000.00 is 10^11 cents, past a 32-bit integer (PostgreSQL refused it with
'out of int32 range' and the payment never recorded).

Revision ID: 0003_money_bigint
Revises: 0002
Create Date: 2026-12-01 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_money_bigint"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS = (
    ("products", "price_cents"),
    ("offers", "price_cents"),
    ("orders", "price_cents"),
    ("payments", "amount_cents"),
    ("show_minutes", "revenue_cents"),
)


def _retype(old: sa.types.TypeEngine[int], new: sa.types.TypeEngine[int]) -> None:
    for table, column in MONEY_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=new, existing_type=old, existing_nullable=False)


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())
