"""votes: imported battles may come without their texts, so prompt_id may be empty

Revision ID: 8d2e3f4a5b6c
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-30 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '8d2e3f4a5b6c'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('prompt_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.alter_column('prompt_id', existing_type=sa.Integer(), nullable=False)
