"""shared chats keep their identity: per-contributor share keys, source keys, whole ratings,
failed answers

Every existing account gets its own random share key (the column stays nullable: making it
NOT NULL would rebuild the users table on SQLite). Chats shared before keep no source key
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
    # Plain ADD COLUMNs: a batch operation may rebuild a table on SQLite, and with foreign keys
    # on, dropping the old table cascades to every row that refers to it.
    op.add_column('users', sa.Column('share_key', sa.LargeBinary(length=32), nullable=True))
    op.add_column('users', sa.Column('publish_directly', sa.Boolean(), server_default='0', nullable=False))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('share_key', sa.LargeBinary))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(share_key=secrets.token_bytes(32))
        )
    op.add_column('shared_chats', sa.Column('source_key', sa.String(length=64), nullable=True))
    op.create_index('ix_shared_chats_contributor_id_source_key', 'shared_chats', ['contributor_id', 'source_key'], unique=True)
    for name, column_type in (
        ('detail_rating', sa.Integer()),
        ('reason', sa.String(length=60)),
        ('feedback_tags', sa.JSON()),
        ('error', sa.Text()),
        ('completion_tokens', sa.Integer()),
        ('generation_seconds', sa.Float()),
    ):
        op.add_column('shared_messages', sa.Column(name, column_type, nullable=True))
    op.add_column('answer_feedback', sa.Column('failed', sa.Boolean(), server_default='0', nullable=False))
    for name, column_type in (
        ('detail_rating', sa.Integer()),
        ('reason', sa.String(length=60)),
        ('feedback_tags', sa.JSON()),
    ):
        op.add_column('answer_feedback', sa.Column(name, column_type, nullable=True))


def downgrade():
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        for column in ('feedback_tags', 'reason', 'detail_rating', 'failed'):
            batch_op.drop_column(column)
    with op.batch_alter_table('shared_messages', schema=None) as batch_op:
        for column in ('generation_seconds', 'completion_tokens', 'error', 'feedback_tags', 'reason', 'detail_rating'):
            batch_op.drop_column(column)
    op.drop_index('ix_shared_chats_contributor_id_source_key', table_name='shared_chats')
    with op.batch_alter_table('shared_chats', schema=None) as batch_op:
        batch_op.drop_column('source_key')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('publish_directly')
        batch_op.drop_column('share_key')
