"""votes by voter and time, and by voter and prompt: a vote's daily caps and its
already-judged check read a range of the index instead of every vote of the voter

Revision ID: c3d4e5f6a7b8
Revises: b2c3d4e5f6a7
Create Date: 2026-12-01 03:20:00.000000

"""
from alembic import op


revision = 'c3d4e5f6a7b8'
down_revision = 'b2c3d4e5f6a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index('ix_votes_voter_id_created_at', ['voter_id', 'created_at'])
        batch_op.create_index('ix_votes_voter_id_prompt_id', ['voter_id', 'prompt_id'])


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_voter_id_prompt_id')
        batch_op.drop_index('ix_votes_voter_id_created_at')
