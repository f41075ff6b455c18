"""shared chats keep their identity: per-contributor share keys, source keys, whole ratings,
failed answers

Every existing account gets its own random share key. Chats shared before keep no source key
(their ids were hashed with keys that were thrown away), so sharing them again adds a new chat
unless its text is unchanged.

Revision ID: f1a2b3c4d5e6
Revises: a1b2c3d4e5f6
Create Date: 2026-12-02 09:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = 'f1a2b3c4d5e6'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('publish_directly', sa.Boolean(), server_default=sa.false(), nullable=False))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('share_key', sa.LargeBinary))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(share_key=secrets.token_bytes(32))
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('share_key', existing_type=sa.LargeBinary(length=32), nullable=False)
    with op.batch_alter_table('shared_chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_shared_chats_contributor_id'), ['contributor_id', 'source_key'])
    with op.batch_alter_table('shared_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('feedback_tags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('completion_tokens', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('generation_seconds', sa.Float(), nullable=True))
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('detail_rating', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('feedback_tags', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        for column in ('feedback_tags', 'reason', 'detail_rating', 'failed'):
            batch_op.drop_column(column)
    with op.batch_alter_table('shared_messages', schema=None) as batch_op:
        for column in ('generation_seconds', 'completion_tokens', 'error', 'feedback_tags', 'reason', 'detail_rating'):
            batch_op.drop_column(column)
    with op.batch_alter_table('shared_chats', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shared_chats_contributor_id'), type_='unique')
        batch_op.drop_column('source_key')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('publish_directly')
        batch_op.drop_column('share_key')
