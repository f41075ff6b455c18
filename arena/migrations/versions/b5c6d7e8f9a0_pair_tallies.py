"""pair_tallies: wins and ties per model pair, kept with every vote, counted from the votes here

Revision ID: b5c6d7e8f9a0
Revises: a4b5c6d7e8f9
Create Date: 2026-11-30 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5c6d7e8f9a0'
down_revision = 'a4b5c6d7e8f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pair_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('model_low_id', sa.Integer(), nullable=False),
    sa.Column('model_high_id', sa.Integer(), nullable=False),
    sa.Column('low_wins', sa.Integer(), nullable=False),
    sa.Column('high_wins', sa.Integer(), nullable=False),
    sa.Column('ties', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_pair_tallies_community_id_communities')),
    sa.ForeignKeyConstraint(['model_high_id'], ['models.id'], name=op.f('fk_pair_tallies_model_high_id_models')),
    sa.ForeignKeyConstraint(['model_low_id'], ['models.id'], name=op.f('fk_pair_tallies_model_low_id_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pair_tallies')),
    sa.UniqueConstraint('community_id', 'live', 'model_low_id', 'model_high_id', name=op.f('uq_pair_tallies_community_id'))
    )
    # Count the votes already there (the same recount as arena/voting/tallies.rebuild).
    op.execute("""
        INSERT INTO pair_tallies (community_id, live, model_low_id, model_high_id,
                                  low_wins, high_wins, ties)
        SELECT community_id, live, low, high,
               SUM(CASE WHEN winner = low THEN 1 ELSE 0 END),
               SUM(CASE WHEN winner = high THEN 1 ELSE 0 END),
               SUM(CASE WHEN winner IS NULL THEN 1 ELSE 0 END)
        FROM (SELECT community_id,
                     CASE WHEN origin = 'arena' THEN TRUE ELSE FALSE END AS live,
                     CASE WHEN model_a_id < model_b_id THEN model_a_id ELSE model_b_id END AS low,
                     CASE WHEN model_a_id < model_b_id THEN model_b_id ELSE model_a_id END AS high,
                     CASE WHEN choice = 'a' THEN model_a_id
                          WHEN choice = 'b' THEN model_b_id END AS winner
              FROM votes) AS facts
        GROUP BY community_id, live, low, high
    """)


def downgrade():
    op.drop_table('pair_tallies')
