"""pair_popular: the contributor of a mined pair earns points once, at the vote that takes the
pair to `popular_pair_votes` votes; a replay of the votes derives the same award."""

import json

from sqlalchemy import func, select

from arena.core import accounts
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.game import awards
from arena.game.rules import default_rules
from arena.models import Community, PointEvent, User, Vote
from tests.chat_exports import export, two_model_chat
from tests.factories import accept_shared_chats, cast, make_voter, serve


def _share_into_a_quiet_community(app) -> int:
    """A community whose only prompt is the mined one; returns the contributor's id."""
    with app.app_context():
        with unit_of_work(db.session):
            db.session.add(Community(slug="quiet", name="Quiet", description=""))
        contributor, token = make_voter(db.session, "contributor")
        contributor_id = contributor.id
    body = {
        "community": "quiet",
        "licence": "CC0-1.0",
        "chats": json.loads(export(two_model_chat())),
    }
    reply = app.test_client().post(
        "/api/v1/chats", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 201, reply.get_json()
    with app.app_context():
        accept_shared_chats(db.session)
    return contributor_id


def _popular_awards(contributor_id: int) -> list[tuple[int, int]]:
    return db.session.execute(
        select(PointEvent.amount, PointEvent.ref_id).where(
            PointEvent.user_id == contributor_id, PointEvent.reason == "pair_popular"
        )
    ).all()


def test_the_contributor_earns_pair_popular_once_at_the_mark(app):
    contributor_id = _share_into_a_quiet_community(app)
    mark = default_rules().popular_pair_votes
    with app.app_context():
        with unit_of_work(db.session):
            voters = [
                accounts.create_user(db.session, f"voter{n}", "correct horse battery")
                for n in range(mark + 1)
            ]
            voter_ids = [voter.id for voter in voters]
        vote_ids = []
        for number, voter_id in enumerate(voter_ids, 1):
            cast(db.session, voter_id, serve(db.session, voter_id, "quiet").token, "a")
            vote_ids.append(db.session.scalar(select(func.max(Vote.id))))
            earned = _popular_awards(contributor_id)
            assert earned == ([] if number < mark else [(5, vote_ids[mark - 1])])
        with unit_of_work(db.session):
            awards.replay_votes(db.session, default_rules())
        assert _popular_awards(contributor_id) == [(5, vote_ids[mark - 1])]
        assert db.session.scalar(select(func.count(User.id))) == mark + 2


def test_a_guests_vote_does_not_count_towards_the_mark(app):
    """Guests' votes never count, so they neither reach the mark nor use up a place before
    it: the award goes with the member's vote that is the mark-th counted one."""
    contributor_id = _share_into_a_quiet_community(app)
    mark = default_rules().popular_pair_votes
    with app.app_context():
        with unit_of_work(db.session):
            voter_ids = [
                accounts.create_user(db.session, f"voter{n}", "correct horse battery").id
                for n in range(mark)
            ]
            guest_id = accounts.create_guest(db.session).id
        for voter_id in [*voter_ids[:-1], guest_id]:
            cast(db.session, voter_id, serve(db.session, voter_id, "quiet").token, "a")
        assert _popular_awards(contributor_id) == []
        cast(db.session, voter_ids[-1], serve(db.session, voter_ids[-1], "quiet").token, "b")
        last_vote = db.session.scalar(select(func.max(Vote.id)))
        assert _popular_awards(contributor_id) == [(5, last_vote)]
