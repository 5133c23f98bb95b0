"""reach: affiliates and their terms, clicks, the commission ledger; orders record their source; role affiliate

Revision ID: 0005_reach
Revises: 0004
Create Date: 2026-12-01 19:47:32.606127
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_reach'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('affiliates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('merchant_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_affiliates_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_affiliates_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliates')),
    sa.UniqueConstraint('code', name=op.f('uq_affiliates_code')),
    sa.UniqueConstraint('user_id', name=op.f('uq_affiliates_user_id'))
    )
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_affiliates_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('affiliate_clicks',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('affiliate_id', sa.String(length=32), nullable=False),
    sa.Column('show_id', sa.String(length=32), nullable=True),
    sa.Column('product_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_clicks_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_clicks'))
    )
    with op.batch_alter_table('affiliate_clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_affiliate_clicks_affiliate_id'), ['affiliate_id'], unique=False)

    op.create_table('affiliate_terms',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('affiliate_id', sa.String(length=32), nullable=False),
    sa.Column('percent_bp', sa.Integer(), nullable=False),
    sa.Column('per_new_buyer_cents', sa.BigInteger(), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('per_new_buyer_cents >= 0', name=op.f('ck_affiliate_terms_lead_nonnegative')),
    sa.CheckConstraint('percent_bp BETWEEN 0 AND 10000', name=op.f('ck_affiliate_terms_percent_range')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_affiliate_terms_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_affiliate_terms'))
    )
    with op.batch_alter_table('affiliate_terms', schema=None) as batch_op:
        batch_op.create_index('ix_affiliate_terms_affiliate_id_effective_at', ['affiliate_id', 'effective_at'], unique=False)

    op.create_table('commission_entries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('affiliate_id', sa.String(length=32), nullable=False),
    sa.Column('merchant_id', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('refunded_cents', sa.BigInteger(), nullable=False),
    sa.Column('entry_key', sa.String(length=100), nullable=True),
    sa.Column('lead_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('percent', 'lead', 'reversal')", name=op.f('ck_commission_entries_kind')),
    sa.ForeignKeyConstraint(['affiliate_id'], ['affiliates.id'], name=op.f('fk_commission_entries_affiliate_id_affiliates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commission_entries')),
    sa.UniqueConstraint('entry_key', name=op.f('uq_commission_entries_entry_key')),
    sa.UniqueConstraint('lead_key', name=op.f('uq_commission_entries_lead_key'))
    )
    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.create_index('ix_commission_entries_affiliate_id_created_at', ['affiliate_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_entries_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_entries_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('affiliate_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('utm_source', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('utm_medium', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('utm_campaign', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_affiliate_id'), ['affiliate_id'], unique=False)
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('merchant', 'host', 'viewer', 'affiliate')")



def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('merchant', 'host', 'viewer')")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_affiliate_id'))
        batch_op.drop_column('utm_campaign')
        batch_op.drop_column('utm_medium')
        batch_op.drop_column('utm_source')
        batch_op.drop_column('affiliate_id')

    with op.batch_alter_table('commission_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commission_entries_order_id'))
        batch_op.drop_index(batch_op.f('ix_commission_entries_merchant_id'))
        batch_op.drop_index('ix_commission_entries_affiliate_id_created_at')

    op.drop_table('commission_entries')
    with op.batch_alter_table('affiliate_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_affiliate_terms_affiliate_id_effective_at')

    op.drop_table('affiliate_terms')
    with op.batch_alter_table('affiliate_clicks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_affiliate_clicks_affiliate_id'))

    op.drop_table('affiliate_clicks')
    with op.batch_alter_table('affiliates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_affiliates_merchant_id'))

    op.drop_table('affiliates')
