"""auditing and communities: community roles, guidelines and question; audits gate shared
chats; flags on battles; answers to a community's question

Chats shared before this version are marked accepted: they are in the arena already, and
taking them out would change what voters were promised. New chats start pending.

Revision ID: a7b8c9d0e1f2
Revises: f1a2b3c4d5e6
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7b8c9d0e1f2'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None

DEFAULT_QUESTION = "Would you want your model to behave more like this?"


def upgrade():
    # Plain ADD COLUMNs: a batch operation would rebuild tables on SQLite, and with foreign keys
    # on, dropping the old table cascades to every row that refers to it.
    op.add_column('communities', sa.Column('guidelines', sa.Text(), server_default='', nullable=False))
    op.add_column('communities', sa.Column('question', sa.Text(), server_default='', nullable=False))
    communities = sa.table('communities', sa.column('question', sa.Text))
    op.execute(communities.update().values(question=DEFAULT_QUESTION))
    op.add_column('shared_chats', sa.Column('review_status', sa.String(length=12), server_default='pending', nullable=False))
    op.add_column('shared_chats', sa.Column('review_reason', sa.String(length=30), nullable=True))
    op.add_column('shared_chats', sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
    chats = sa.table('shared_chats', sa.column('review_status', sa.String))
    op.execute(chats.update().values(review_status='accepted'))
    op.create_index('ix_shared_chats_review_status', 'shared_chats', ['review_status'])
    op.create_table('community_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_community_roles_community_id_communities')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_community_roles_granted_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_community_roles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_roles')),
    sa.UniqueConstraint('community_id', 'user_id', 'role', name=op.f('uq_community_roles_community_id'))
    )
    op.create_index(op.f('ix_community_roles_community_id'), 'community_roles', ['community_id'], unique=False)
    op.create_index(op.f('ix_community_roles_user_id'), 'community_roles', ['user_id'], unique=False)
    op.create_table('audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('suggestion', sa.Text(), nullable=False),
    sa.Column('low_confidence', sa.Boolean(), nullable=False),
    sa.Column('by_moderator', sa.Boolean(), nullable=False),
    sa.Column('known_answer', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['auditor_id'], ['users.id'], name=op.f('fk_audits_auditor_id_users')),
    sa.ForeignKeyConstraint(['chat_id'], ['shared_chats.id'], name=op.f('fk_audits_chat_id_shared_chats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audits')),
    sa.UniqueConstraint('chat_id', 'auditor_id', name=op.f('uq_audits_chat_id'))
    )
    op.create_index('ix_audits_auditor_id_created_at', 'audits', ['auditor_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_audits_chat_id'), 'audits', ['chat_id'], unique=False)
    op.create_table('content_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('battle_id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=6), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('flagger_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('resolution', sa.String(length=12), nullable=True),
    sa.Column('abusive', sa.Boolean(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['battle_id'], ['battles.id'], name=op.f('fk_content_flags_battle_id_battles')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_content_flags_community_id_communities')),
    sa.ForeignKeyConstraint(['flagger_id'], ['users.id'], name=op.f('fk_content_flags_flagger_id_users')),
    sa.ForeignKeyConstraint(['prompt_id'], ['prompts.id'], name=op.f('fk_content_flags_prompt_id_prompts')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_content_flags_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_content_flags_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_flags'))
    )
    op.create_index(op.f('ix_content_flags_battle_id'), 'content_flags', ['battle_id'], unique=False)
    op.create_index('ix_content_flags_community_id_status', 'content_flags', ['community_id', 'status'], unique=False)
    op.create_index(op.f('ix_content_flags_flagger_id'), 'content_flags', ['flagger_id'], unique=False)
    op.create_table('question_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_question_answers_community_id_communities')),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_question_answers_model_id_models')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_question_answers_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_answers')),
    sa.UniqueConstraint('vote_id', name=op.f('uq_question_answers_vote_id'))
    )
    op.create_index(op.f('ix_question_answers_community_id'), 'question_answers', ['community_id'], unique=False)


def downgrade():
    op.drop_table('question_answers')
    op.drop_table('content_flags')
    op.drop_table('audits')
    op.drop_table('community_roles')
    op.drop_index('ix_shared_chats_review_status', table_name='shared_chats')
    with op.batch_alter_table('shared_chats', schema=None) as batch_op:
        for column in ('reviewed_at', 'review_reason', 'review_status'):
            batch_op.drop_column(column)
    with op.batch_alter_table('communities', schema=None) as batch_op:
        for column in ('question', 'guidelines'):
            batch_op.drop_column(column)
