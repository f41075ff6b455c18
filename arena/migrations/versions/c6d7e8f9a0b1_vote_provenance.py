"""vote provenance: exposure, attribution and voter trust per vote, tallied apart; voter standings; known-answer checks

Revision ID: c6d7e8f9a0b1
Revises: b5c6d7e8f9a0
Create Date: 2026-11-30 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'c6d7e8f9a0b1'
down_revision = 'b5c6d7e8f9a0'
branch_labels = None
depends_on = None

# The same rules as arena/voting/trust.py: answers of shared chats and custom prompts are
# private, the rest (benchmarks, imports) public; chat answers are claimed by their
# contributor, custom answers generated here, the rest taken from published benchmarks.
_PROVENANCE = """
    UPDATE votes SET
      exposure = COALESCE((SELECT CASE WHEN p.origin IN ('shared_chat', 'custom')
                                       THEN 'private' ELSE 'public' END
                           FROM prompts p WHERE p.id = votes.prompt_id), 'public'),
      attribution = COALESCE((SELECT CASE WHEN p.origin = 'shared_chat' THEN 'claimed'
                                          WHEN p.origin = 'custom' THEN 'generated'
                                          ELSE 'benchmark' END
                              FROM prompts p WHERE p.id = votes.prompt_id), 'benchmark'),
      voter_trust = CASE WHEN voter_id IS NULL THEN NULL ELSE 'counted' END
"""


def upgrade():
    with op.batch_alter_table('votes') as batch:
        batch.add_column(sa.Column('exposure', sa.String(length=10), server_default='public', nullable=False))
        batch.add_column(sa.Column('attribution', sa.String(length=10), server_default='benchmark', nullable=False))
        batch.add_column(sa.Column('voter_trust', sa.String(length=10), nullable=True))
    # Votes cast before probation existed keep counting: their voters are grandfathered.
    op.execute(_PROVENANCE)
    with op.batch_alter_table('battles') as batch:
        batch.add_column(sa.Column('expected', sa.String(length=1), nullable=True))
    op.create_table('voter_standings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.Column('checks_passed', sa.Integer(), nullable=False),
    sa.Column('checks_failed', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voter_standings_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_voter_standings'))
    )
    op.execute("""
        INSERT INTO voter_standings (user_id, votes, checks_passed, checks_failed, state)
        SELECT voter_id, COUNT(*), 0, 0, 'counted' FROM votes
        WHERE voter_id IS NOT NULL GROUP BY voter_id
    """)
    op.drop_table('pair_tallies')
    op.create_table('pair_tallies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('exposure', sa.String(length=10), nullable=False),
    sa.Column('attribution', sa.String(length=10), nullable=False),
    sa.Column('trust', sa.String(length=10), nullable=False),
    sa.Column('model_low_id', sa.Integer(), nullable=False),
    sa.Column('model_high_id', sa.Integer(), nullable=False),
    sa.Column('low_wins', sa.Integer(), nullable=False),
    sa.Column('high_wins', sa.Integer(), nullable=False),
    sa.Column('ties', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_pair_tallies_community_id_communities')),
    sa.ForeignKeyConstraint(['model_high_id'], ['models.id'], name=op.f('fk_pair_tallies_model_high_id_models')),
    sa.ForeignKeyConstraint(['model_low_id'], ['models.id'], name=op.f('fk_pair_tallies_model_low_id_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pair_tallies')),
    sa.UniqueConstraint('community_id', 'live', 'exposure', 'attribution', 'trust', 'model_low_id', 'model_high_id', name='uq_pair_tallies_provenance')
    )
    # Count the votes already there (the same recount as arena/voting/tallies.rebuild).
    op.execute("""
        INSERT INTO pair_tallies (community_id, live, exposure, attribution, trust,
                                  model_low_id, model_high_id, low_wins, high_wins, ties)
        SELECT community_id, live, exposure, attribution, trust, low, high,
               SUM(CASE WHEN winner = low THEN 1 ELSE 0 END),
               SUM(CASE WHEN winner = high THEN 1 ELSE 0 END),
               SUM(CASE WHEN winner IS NULL THEN 1 ELSE 0 END)
        FROM (SELECT community_id, exposure, attribution,
                     COALESCE(voter_trust, 'imported') AS trust,
                     CASE WHEN origin = 'arena' THEN TRUE ELSE FALSE END AS live,
                     CASE WHEN model_a_id < model_b_id THEN model_a_id ELSE model_b_id END AS low,
                     CASE WHEN model_a_id < model_b_id THEN model_b_id ELSE model_a_id END AS high,
                     CASE WHEN choice = 'a' THEN model_a_id
                          WHEN choice = 'b' THEN model_b_id END AS winner
              FROM votes) AS facts
        GROUP BY community_id, live, exposure, attribution, trust, low, high
    """)


def downgrade():
    op.drop_table('pair_tallies')
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
    op.drop_table('voter_standings')
    with op.batch_alter_table('battles') as batch:
        batch.drop_column('expected')
    with op.batch_alter_table('votes') as batch:
        batch.drop_column('voter_trust')
        batch.drop_column('attribution')
        batch.drop_column('exposure')
