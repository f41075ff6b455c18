"""battles: skipped_at for battles left unvoted past their expiry; open-battle lookup index

Revision ID: 7c1d2e3f4a5b
Revises: 5623144bf035
Create Date: 2026-11-30 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '7c1d2e3f4a5b'
down_revision = '5623144bf035'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('battles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_battles_voter_status', ['voter_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('battles', schema=None) as batch_op:
        batch_op.drop_index('ix_battles_voter_status')
        batch_op.drop_column('skipped_at')
