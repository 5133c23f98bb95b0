"""order ids carry their show (64 chars); payments may be refunded

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("id", type_=sa.String(64), existing_type=sa.String(32), existing_nullable=False)
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("order_id", type_=sa.String(64), existing_type=sa.String(32), existing_nullable=False)
        batch.drop_constraint(op.f("ck_payments_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('pending', 'succeeded', 'failed', 'refunded')")


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(op.f("ck_payments_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('pending', 'succeeded', 'failed')")
        batch.alter_column("order_id", type_=sa.String(32), existing_type=sa.String(64), existing_nullable=False)
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("id", type_=sa.String(32), existing_type=sa.String(64), existing_nullable=False)
