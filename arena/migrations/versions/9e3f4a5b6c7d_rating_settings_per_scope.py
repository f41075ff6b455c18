"""rating_settings: TrueSkill's draw probability per scope, tuned from the votes

Revision ID: 9e3f4a5b6c7d
Revises: 8d2e3f4a5b6c
Create Date: 2026-11-30 07:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '9e3f4a5b6c7d'
down_revision = '8d2e3f4a5b6c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rating_settings',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('draw_probability', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_rating_settings'))
    )


def downgrade():
    op.drop_table('rating_settings')
