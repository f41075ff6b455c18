"""vote path indexes: points per user by day or week, weekly titles, votes by choice, prompts

Revision ID: a4b5c6d7e8f9
Revises: 9e3f4a5b6c7d
Create Date: 2026-11-30 07:40:00.000000

"""
from alembic import op


revision = 'a4b5c6d7e8f9'
down_revision = '9e3f4a5b6c7d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('point_events', schema=None) as batch_op:
        batch_op.drop_index('ix_point_events_user_id')
        batch_op.create_index(
            'ix_point_events_user_id_created_at', ['user_id', 'created_at'], unique=False
        )
        batch_op.create_index(
            'ix_point_events_user_id_reason_created_at',
            ['user_id', 'reason', 'created_at'],
            unique=False,
        )
    with op.batch_alter_table('user_badges', schema=None) as batch_op:
        batch_op.create_index('ix_user_badges_badge_scope', ['badge', 'scope'], unique=False)
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_voter_id')
        batch_op.create_index('ix_votes_voter_id_choice', ['voter_id', 'choice'], unique=False)
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_prompts_community_id')
        batch_op.create_index(
            'ix_prompts_community_id_is_active', ['community_id', 'is_active'], unique=False
        )


def downgrade():
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_prompts_community_id_is_active')
        batch_op.create_index('ix_prompts_community_id', ['community_id'], unique=False)
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_voter_id_choice')
        batch_op.create_index('ix_votes_voter_id', ['voter_id'], unique=False)
    with op.batch_alter_table('user_badges', schema=None) as batch_op:
        batch_op.drop_index('ix_user_badges_badge_scope')
    with op.batch_alter_table('point_events', schema=None) as batch_op:
        batch_op.drop_index('ix_point_events_user_id_reason_created_at')
        batch_op.drop_index('ix_point_events_user_id_created_at')
        batch_op.create_index('ix_point_events_user_id', ['user_id'], unique=False)
