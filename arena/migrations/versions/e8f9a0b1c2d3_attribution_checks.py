"""attribution checks: uploaded answers claimed as a catalogue model, scored under that model

Revision ID: e8f9a0b1c2d3
Revises: d7e8f9a0b1c2
Create Date: 2026-11-30 11:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'e8f9a0b1c2d3'
down_revision = 'd7e8f9a0b1c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attribution_checks',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('claimed_logprob', sa.Float(), nullable=False),
    sa.Column('own_logprob', sa.Float(), nullable=False),
    sa.Column('outlier', sa.Boolean(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_attribution_checks_model_id_models')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_attribution_checks_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_attribution_checks'))
    )


def downgrade():
    op.drop_table('attribution_checks')
