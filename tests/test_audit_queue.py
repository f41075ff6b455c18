"""The audit queue gates the arena: consensus, known-answer checks, and what audits earn."""

import dataclasses
import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from arena.auditing import agreement, queue, reviews, roles
from arena.auditing.settings import load_settings
from arena.chats import sharing
from arena.chats.redact import redact
from arena.chats.scrub import placeholder_marks
from arena.core.communities import find_community
from arena.core.db import unit_of_work
from arena.core.errors import Conflict, Forbidden, NothingToServe
from arena.extensions import db
from arena.game import people
from arena.game.rules import default_rules
from arena.models import Community, CommunityRole, PointEvent, User, UserBadge, utcnow
from arena.models.chats import ACCEPTED, DISPUTED, PENDING, REJECTED, SharedChat
from tests.chat_exports import export, two_model_chat
from tests.factories import make_voter, serve

AUDITED = "audited"  # a community with no prompts but those of its shared chats
SETTINGS = load_settings()
RULES = SETTINGS.default
NO_CHECKS = dataclasses.replace(RULES, known_answer_share=0.0)
ONLY_CHECKS = dataclasses.replace(RULES, known_answer_share=1.0)


# -- helpers, used by tests/test_audit_pages.py too ---------------------------------------------


def add_community(session, slug=AUDITED) -> int:
    with unit_of_work(session):
        community = Community(slug=slug, name=slug.title(), guidelines="Only real questions.")
        session.add(community)
        session.flush()
        return community.id


def person(session, username: str, role: str | None = None, community=AUDITED) -> int:
    user, _ = make_voter(session, username)
    if role:
        grant(session, user.id, role, community)
    return user.id


def grant(session, user_id: int, role: str, community=AUDITED) -> None:
    with unit_of_work(session):
        community_id = find_community(session, community).id
        session.add(CommunityRole(community_id=community_id, user_id=user_id, role=role))


def share_chat(session, user_id: int, question: str, community=AUDITED) -> int:
    user = session.get(User, user_id)
    options = sharing.SharingOptions(community=community, licence="CC-BY-4.0")
    upload = sharing.prepare(export(two_model_chat(question=question)), options, user.share_key)
    with unit_of_work(session):
        result = sharing.publish(session, user_id, upload)
    return result.chats[0].chat_id


def audit(session, user_id, chat_id, verdict="accept", reason=None, community=AUDITED, **extra):
    """One audit in its own unit of work, as the page makes it."""
    at = extra.pop("now", utcnow())
    form = reviews.AuditForm(verdict, reason, **extra)
    with unit_of_work(session):
        return reviews.submit(
            session,
            session.get(User, user_id),
            find_community(session, community),
            chat_id,
            form,
            rules=default_rules(),
            settings=SETTINGS,
            now=at,
        )


def auditors(session, count: int, prefix="auditor") -> list[int]:
    return [person(session, f"{prefix}{n}", "auditor") for n in range(count)]


def next_chat(session, user_id, rules=NO_CHECKS, seed=0, community=AUDITED):
    return queue.next_chat_id(
        session,
        session.get(User, user_id),
        find_community(session, community),
        rules,
        random.Random(seed),
    )


def review_status(session, chat_id) -> str:
    session.expire_all()
    return session.get(SharedChat, chat_id).review_status


def points_of(session, user_id, reason) -> int:
    amounts = session.scalars(
        select(PointEvent.amount).where(PointEvent.user_id == user_id, PointEvent.reason == reason)
    )
    return sum(amounts)


# -- what an auditor sees ------------------------------------------------------------------------


def test_placeholders_are_marked_in_stored_text_as_the_preview_marks_them():
    corpus = Path(__file__).parent / "data" / "pii_corpus.jsonl"
    for line in corpus.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        redacted = redact(row["text"], author=row["author"])
        assert queue.placeholder_marks_in(redacted.text) == placeholder_marks(redacted), row


# -- the arena is gated ----------------------------------------------------------------------


def test_a_shared_chat_reaches_voters_only_once_accepted(any_app, any_world):
    with any_app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor")
        voter = person(session, "voter")
        chat = share_chat(session, contributor, "Why does my flaky test fail?")
        with pytest.raises(NothingToServe):
            serve(session, voter, AUDITED)
        first, second, third = auditors(session, 3)
        assert audit(session, first, chat).status == PENDING
        assert audit(session, second, chat).status == PENDING
        with pytest.raises(NothingToServe):
            serve(session, voter, AUDITED)
        outcome = audit(session, third, chat)
        assert (outcome.status, review_status(session, chat)) == (ACCEPTED, ACCEPTED)
        assert "flaky test" in serve(session, voter, AUDITED).prompt.text
        with pytest.raises(NothingToServe):  # never to its contributor
            serve(session, contributor, AUDITED)


def test_a_rejected_chat_never_reaches_voters(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        contributor, voter = person(session, "contributor"), person(session, "voter")
        chat = share_chat(session, contributor, "Buy cheap watches here?")
        for auditor in auditors(session, 3):
            outcome = audit(session, auditor, chat, "reject", "spam")
        assert (outcome.status, outcome.reason) == (REJECTED, "spam")
        with pytest.raises(NothingToServe):
            serve(session, voter, AUDITED)
        assert points_of(session, contributor, "chat_rejected_spam") == -10
        assert points_of(session, contributor, "chat_accepted") == 0


# -- the queue -----------------------------------------------------------------------------------


def test_the_queue_gives_the_oldest_chat_never_ones_own_or_audited(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor", "auditor")  # an auditor who shares too
        other = person(session, "other")
        own = share_chat(session, contributor, "My own question?")
        assert next_chat(session, contributor) is None
        older = share_chat(session, other, "An older question?")
        newer = share_chat(session, other, "A newer question?")
        assert next_chat(session, contributor) == older
        audit(session, contributor, older)
        assert next_chat(session, contributor) == newer
        with pytest.raises(Forbidden):
            audit(session, contributor, own)
        with pytest.raises(Conflict):
            audit(session, contributor, older)


# -- consensus and what it earns -----------------------------------------------------------------


def test_three_accepts_decide_and_earn_points_and_badges(any_app, any_world):
    with any_app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor")
        chat = share_chat(session, contributor, "How do I profile Python?")
        team = auditors(session, 3)
        outcomes = [audit(session, auditor, chat) for auditor in team]
        assert outcomes[-1].status == ACCEPTED
        assert points_of(session, contributor, "chat_accepted") == 10
        assert [points_of(session, a, "audit_agrees") for a in team] == [2, 2, 2]
        held = set(
            session.scalars(select(UserBadge.user_id).where(UserBadge.badge == "first-audit"))
        )
        assert held == set(team)
        first_events = {type(e).__name__ for e in outcomes[0].events}
        assert "BadgeAwarded" in first_events  # the Auditor badge, at the first audit
        assert {"PointsChanged", "PeopleChanged"} <= {type(e).__name__ for e in outcomes[-1].events}
        board = people.people_board(session, "auditors", "all", None, utcnow())
        assert sorted(row["points"] for row in board) == [2, 2, 2]


def test_split_audits_go_to_moderators_whose_decision_binds(any_app, any_world):
    with any_app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor")
        moderator = person(session, "moderator", "moderator")
        chat = share_chat(session, contributor, "Is this on topic?")
        team = auditors(session, 5)
        for auditor, verdict in zip(
            team[:4], ("accept", "accept", "reject", "reject"), strict=True
        ):
            assert audit(session, auditor, chat, verdict, "off_topic").status == PENDING
        outcome = audit(session, team[4], chat, "accept", low_confidence=True)
        assert outcome.status == DISPUTED
        assert next_chat(session, person(session, "late", "auditor")) is None  # moderators' now
        assert next_chat(session, moderator) is None
        decided = audit(session, moderator, chat, "accept")
        assert (decided.status, review_status(session, chat)) == (ACCEPTED, ACCEPTED)
        agreeing = [points_of(session, a, "audit_agrees") for a in team]
        assert agreeing == [2, 2, 0, 0, 2]  # the unsure accept agreed too
        assert points_of(session, moderator, "audit_agrees") == 0


def test_a_moderators_audit_decides_at_once(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor")
        moderator = person(session, "moderator", "moderator")
        chat = share_chat(session, contributor, "Please buy my course?")
        outcome = audit(session, moderator, chat, "reject", "spam")
        assert (outcome.status, outcome.reason) == (REJECTED, "spam")
        assert points_of(session, contributor, "chat_rejected_spam") == -10


# -- known-answer checks -------------------------------------------------------------------------


def decided_chats(session, count: int, verdict="accept") -> list[int]:
    """Chats a moderator decided: known answers for everyone else."""
    contributor = person(session, f"sharer-{verdict}")
    moderator = person(session, f"mod-{verdict}", "moderator")
    chats = [share_chat(session, contributor, f"Known {verdict} {n}?") for n in range(count)]
    for chat in chats:
        audit(session, moderator, chat, verdict, None if verdict == "accept" else "low_quality")
    return chats


def test_known_answer_items_test_auditors_without_deciding(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        known = decided_chats(session, 1)[0]
        pending = share_chat(session, person(session, "contributor"), "Still pending?")
        auditor = person(session, "auditor", "auditor")
        assert next_chat(session, auditor, NO_CHECKS) == pending
        assert next_chat(session, auditor, ONLY_CHECKS) == known
        outcome = audit(session, auditor, known, "accept")
        assert (outcome.known_answer, outcome.passed, outcome.status) == (True, True, ACCEPTED)
        assert points_of(session, auditor, "audit_agrees") == 0  # checks earn nothing
        assert next_chat(session, auditor, ONLY_CHECKS) == pending  # none left: a real item
        assert review_status(session, pending) == PENDING


def test_known_answers_come_at_the_configured_share(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        known = decided_chats(session, 1)[0]
        share_chat(session, person(session, "contributor"), "Still pending?")
        auditor = person(session, "auditor", "auditor")
        half = dataclasses.replace(RULES, known_answer_share=0.5)
        draws = [next_chat(session, auditor, half, seed) for seed in range(200)]
        assert 80 <= draws.count(known) <= 120


def test_split_decisions_are_no_known_answers(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor")
        split = share_chat(session, contributor, "Split decision?")
        verdicts = ("accept", "reject", "accept", "accept")
        for auditor, verdict in zip(auditors(session, 4), verdicts, strict=True):
            audit(session, auditor, split, verdict, "low_quality")
        assert review_status(session, split) == ACCEPTED
        pending = share_chat(session, contributor, "Pending?")
        assert next_chat(session, person(session, "fresh", "auditor"), ONLY_CHECKS) == pending


def test_failing_known_answers_suspends_auditing(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        known = decided_chats(session, 3)
        share_chat(session, person(session, "contributor"), "Still pending?")
        auditor = person(session, "auditor", "auditor")
        start = utcnow()
        for minutes, chat in enumerate(known):
            assert next_chat(session, auditor, ONLY_CHECKS, seed=minutes) in known
            outcome = audit(
                session, auditor, chat, "reject", "spam", now=start + timedelta(minutes=minutes)
            )
            assert (outcome.known_answer, outcome.passed) == (True, False)
        user, community = session.get(User, auditor), find_community(session, AUDITED)
        later = start + timedelta(hours=1)
        permission = roles.audits(session, user, community, default_rules(), RULES, later)
        assert not permission.allowed
        assert "known answer" in permission.why_not
        back = start + timedelta(days=RULES.suspension_days, hours=1)
        assert roles.audits(session, user, community, default_rules(), RULES, back).allowed


def test_poor_agreement_is_visible_to_moderators(app, world):
    with app.app_context():
        session = db.session
        add_community(session)
        contributor = person(session, "contributor")
        moderator = person(session, "moderator", "moderator")
        sloppy = person(session, "sloppy", "auditor")
        # Verdicts against decisions as in test_audit_agreement: alpha 0.3125.
        cases = [("accept", "accept")] * 3 + [("reject", "reject"), ("reject", "accept")]
        cases += [("accept", "reject")]
        for number, (verdict, decision) in enumerate(cases):
            chat = share_chat(session, contributor, f"Question {number}?")
            audit(session, sloppy, chat, verdict, "low_quality")
            audit(session, moderator, chat, decision, "low_quality")
        community = find_community(session, AUDITED)
        rows = {row.username: row for row in agreement.auditors(session, community.id, 0.4)}
        assert rows["sloppy"].alpha == pytest.approx(0.3125)
        assert (rows["sloppy"].decided, rows["sloppy"].poor) == (6, True)
        assert (rows["moderator"].alpha, rows["moderator"].poor) == (1.0, False)
        assert agreement.community_alpha(session, community.id) == pytest.approx(0.3125)
