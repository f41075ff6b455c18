"""Small, deterministic worlds for tests: communities, models, prompts and answers."""

import itertools
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import scoped_session

from arena.auditing import decisions
from arena.core import accounts
from arena.core.db import unit_of_work
from arena.models import Community, LanguageModel, Prompt, Response, utcnow
from arena.models.chats import PENDING, SharedChat
from arena.voting import battles as voting


def make_world(session, models: int = 4, prompts: int = 6, communities=("general", "coding")):
    """Every model answers every prompt of every community; returns the created rows."""
    world = {"communities": {}, "models": [], "prompts": []}
    for slug in communities:
        community = Community(slug=slug, name=slug.title(), description=f"The {slug} community.")
        session.add(community)
        world["communities"][slug] = community
    for number in range(models):
        model = LanguageModel(
            slug=f"model-{number}", name=f"Zephyrine {number}", organization=f"Lab {number}"
        )
        session.add(model)
        world["models"].append(model)
    for community in world["communities"].values():
        for number in range(prompts):
            prompt = Prompt(
                community=community,
                origin="test",
                external_id=f"test:{community.slug}:{number}",
                text=f"Question {number} for {community.slug}: explain `recursion`.",
            )
            session.add(prompt)
            world["prompts"].append(prompt)
            for model in world["models"]:
                session.add(Response(prompt=prompt, model=model, text=answer_text(number)))
    session.commit()
    return world


def answer_text(number: int) -> str:
    return f"Answer from a contestant to question {number}.\n\n```python\nprint({number})\n```"


def make_voter(
    session, username: str = "voter", password: str = "correct horse", publish_directly=True
):
    """A user and a bearer token for them. Chats they share through the API publish at once
    (most tests check publishing; the site's default, a draft to confirm, is tested apart)."""
    with unit_of_work(session):
        user = accounts.create_user(session, username, password)
        user.publish_directly = publish_directly
        token = accounts.create_api_token(session, user)
    return user, token


def serve(session, voter_id: int, community: str | None = None):
    """Serve a battle in its own unit of work, as a request does."""
    with unit_of_work(session):
        return voting.serve_battle(session, voter_id, community)


def cast(session, voter_id: int, token: str, choice: str, **options):
    """Cast a vote in its own unit of work, as a request does; returns the outcome."""
    with unit_of_work(session):
        return voting.cast_vote(session, voter_id, token, choice, **options)


@contextmanager
def ids_from(session, starts: dict):
    """Rows of the given classes created inside the block get ids counting up from the given
    numbers (e.g. {LanguageModel: 4_100_001}), so a test can tell such an id from any other
    number on a page. For SQLite test databases (PostgreSQL sequences would not follow)."""
    counters = {entity: itertools.count(start) for entity, start in starts.items()}
    target = session() if isinstance(session, scoped_session) else session

    def number(flushing, _context, _instances):
        for row in flushing.new:
            counter = counters.get(type(row))
            if counter is not None and row.id is None:
                row.id = next(counter)

    event.listen(target, "before_flush", number)
    try:
        yield
    finally:
        event.remove(target, "before_flush", number)


def accept_shared_chats(session) -> int:
    """Accept every chat waiting for the audit queue, as auditors would: their pairs are then
    served and their feedback counted. Returns how many."""
    with unit_of_work(session):
        pending = session.scalars(
            select(SharedChat).where(SharedChat.review_status == PENDING)
        ).all()
        for chat in pending:
            decisions.accept(session, chat, utcnow())
    return len(pending)
