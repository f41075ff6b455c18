"""languages and guests: each prompt's and vote's language, each account's interface language,
guest accounts for visitors who try the arena before signing up

Plain ADD COLUMNs only: a batch operation may rebuild a table on SQLite, and with foreign keys
on, dropping the old table cascades to every row that refers to it.

Revision ID: b2c3d4e5f6a7
Revises: a7b8c9d0e1f2
Create Date: 2026-11-30 19:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b2c3d4e5f6a7'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('prompts', sa.Column('language', sa.String(length=16), nullable=True))
    op.create_index('ix_prompts_language', 'prompts', ['language'])
    op.add_column('votes', sa.Column('language', sa.String(length=16), nullable=True))
    op.create_index('ix_votes_language', 'votes', ['language'])
    # The participation page counts a community's votes per week.
    op.create_index('ix_votes_community_id_created_at', 'votes', ['community_id', 'created_at'])
    op.add_column('users', sa.Column('locale', sa.String(length=10), nullable=True))
    op.add_column('users', sa.Column('is_guest', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('users', 'is_guest')
    op.drop_column('users', 'locale')
    op.drop_index('ix_votes_community_id_created_at', table_name='votes')
    op.drop_index('ix_votes_language', table_name='votes')
    op.drop_column('votes', 'language')
    op.drop_index('ix_prompts_language', table_name='prompts')
    op.drop_column('prompts', 'language')
