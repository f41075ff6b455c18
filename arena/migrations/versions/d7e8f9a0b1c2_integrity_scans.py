"""integrity scans: flags on voters, their weights in published boards, appeals, the scan clock

Revision ID: d7e8f9a0b1c2
Revises: c6d7e8f9a0b1
Create Date: 2026-11-30 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7e8f9a0b1c2'
down_revision = 'c6d7e8f9a0b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integrity_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('test', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('p_value', sa.Float(), nullable=True),
    sa.Column('q_value', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_integrity_flags_community_id_communities')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_integrity_flags_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_flags'))
    )
    op.create_index('ix_integrity_flags_voter_id', 'integrity_flags', ['voter_id'], unique=False)
    op.create_table('voter_weights',
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_voter_weights_community_id_communities')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_voter_weights_voter_id_users')),
    sa.PrimaryKeyConstraint('voter_id', 'community_id', name=op.f('pk_voter_weights'))
    )
    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_appeals_decided_by_users')),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name=op.f('fk_appeals_voter_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals'))
    )
    op.create_index('ix_appeals_voter_id', 'appeals', ['voter_id'], unique=False)
    op.create_table('integrity_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_scan_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flags', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_clock'))
    )
    op.execute("INSERT INTO integrity_clock (id, last_scan_at, flags) VALUES (1, NULL, 0)")


def downgrade():
    op.drop_table('integrity_clock')
    op.drop_index('ix_appeals_voter_id', table_name='appeals')
    op.drop_table('appeals')
    op.drop_table('voter_weights')
    op.drop_index('ix_integrity_flags_voter_id', table_name='integrity_flags')
    op.drop_table('integrity_flags')
