"""Communities people create and run: founding (privilege, slug rules, first moderator), roles
given and taken only by moderators and admins, the community page and its parts."""

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from arena.auditing import communities
from arena.auditing.communities import CommunityDraft
from arena.core.db import unit_of_work
from arena.core.errors import Conflict, Forbidden, InvalidInput
from arena.extensions import db
from arena.game.rules import default_rules
from arena.models import (
    OVERALL,
    Audit,
    Community,
    CommunityRole,
    LanguageModel,
    PointTotal,
    QuestionAnswer,
    User,
    Vote,
)
from arena.models.chats import ACCEPTED, REJECTED, SharedChat
from tests.conftest import csrf_token, sign_up

QUESTION = "Would you want your model to behave more like this?"
FOUNDING_POINTS = 1000


def user_named(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def give_points(app, username: str, amount: int) -> None:
    with app.app_context(), unit_of_work(db.session):
        user = user_named(username)
        total = db.session.scalar(
            select(PointTotal).where(PointTotal.user_id == user.id, PointTotal.scope == OVERALL)
        )
        if total is None:
            total = PointTotal(user_id=user.id, board="contributors", scope=OVERALL, points=0)
            db.session.add(total)
        total.points = amount


def make_admin(app, username: str) -> None:
    with app.app_context(), unit_of_work(db.session):
        user_named(username).role = "admin"


def found(app, username: str, slug: str = "chemistry", **fields) -> None:
    """A community founded by `username` (who is given the points it takes)."""
    give_points(app, username, FOUNDING_POINTS)
    draft = CommunityDraft(name=fields.pop("name", slug.title()), slug=slug, **fields)
    with app.app_context(), unit_of_work(db.session):
        communities.create_community(
            db.session, user_named(username), draft, default_rules(), QUESTION
        )


def founding_form(client, **fields) -> dict:
    return {
        "csrf_token": csrf_token(client, "/communities/new"),
        "name": "Chemistry",
        "slug": "chemistry",
        "description": "Reactions, *lab safety* and spectra.",
        "guidelines": "Reject answers that skip the safety notes.",
        "question": "",
        **fields,
    }


def community_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Community.id)))


def roles_of(app, slug: str) -> set[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(User.username, CommunityRole.role)
            .join(CommunityRole, CommunityRole.user_id == User.id)
            .join(Community, Community.id == CommunityRole.community_id)
            .where(Community.slug == slug)
        )
        return set(rows.tuples())


def test_founding_needs_the_privilege_and_the_refusal_says_what_unlocks_it(app, browser_client):
    give_points(app, "alice", FOUNDING_POINTS - 1)
    page = browser_client.get("/communities/new")
    assert page.status_code == 403
    sentence = f"Create a community unlocks at 1000 points; you have {FOUNDING_POINTS - 1}."
    assert sentence in page.get_data(as_text=True)
    before = community_count(app)
    token = csrf_token(browser_client, "/communities")
    refused = browser_client.post(
        "/communities/new", data={"csrf_token": token, "name": "Chem", "slug": "chem"}
    )
    assert refused.status_code == 403 and community_count(app) == before
    listing = browser_client.get("/communities").get_data(as_text=True)
    assert sentence in listing and 'href="/communities/new"' not in listing


def test_a_founder_creates_a_community_and_becomes_its_moderator(app, browser_client):
    give_points(app, "alice", FOUNDING_POINTS)
    assert 'href="/communities/new"' in browser_client.get("/communities").get_data(as_text=True)
    reply = browser_client.post("/communities/new", data=founding_form(browser_client))
    assert reply.status_code == 302 and reply.headers["Location"] == "/communities/chemistry"
    assert roles_of(app, "chemistry") == {("alice", "moderator")}
    with app.app_context():
        created = db.session.scalar(select(Community).where(Community.slug == "chemistry"))
        assert created.question == QUESTION  # left empty: the site's default question
        assert created.guidelines == "Reject answers that skip the safety notes."
    page = browser_client.get("/communities/chemistry").get_data(as_text=True)
    assert "<em>lab safety</em>" in page and "alice" in page and QUESTION in page
    assert 'href="/communities/chemistry/roles"' in page  # its moderator sees the roles link
    nav = browser_client.get("/leaderboard").get_data(as_text=True)
    assert 'href="/leaderboard?community=chemistry"' in nav


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("c", "The slug must be 2 to 40 characters long."),
        ("c" * 41, "The slug must be 2 to 40 characters long."),
        ("Chem", "lowercase letters, digits and hyphens"),
        ("chem lab", "lowercase letters, digits and hyphens"),
        ("-chem", "starts and ends with a letter or digit"),
        ("chem-", "starts and ends with a letter or digit"),
        ("new", "The slug 'new' is reserved"),
        ("overall", "The slug 'overall' is reserved"),
        ("general", "There is a community called 'general' already."),
    ],
)
def test_slugs_are_checked(app, world, slug, message):
    draft = CommunityDraft(name="Chemistry", slug=slug)
    with app.app_context(), pytest.raises((InvalidInput, Conflict)) as refused:
        communities.checked_draft(db.session, draft, QUESTION)
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "C", "The name must be 2 to 80 characters long."),
        ("name", "general", "There is a community named 'general' already."),
        ("description", "x" * 2001, "The description is limited to 2,000 characters."),
        ("guidelines", "x" * 5001, "The guidelines is limited to 5,000 characters."),
        ("question", "?" * 301, "The community question is limited to 300 characters."),
    ],
)
def test_what_people_type_is_limited_and_the_form_keeps_it(
    app, browser_client, field, value, message
):
    give_points(app, "alice", FOUNDING_POINTS)
    before = community_count(app)
    reply = browser_client.post(
        "/communities/new", data=founding_form(browser_client, **{field: value})
    )
    page = reply.get_data(as_text=True)
    assert reply.status_code in (400, 409) and str(escape(message)) in page
    kept = founding_form(browser_client)["guidelines" if field != "guidelines" else "description"]
    assert kept in page  # what was typed is kept
    assert community_count(app) == before


def test_the_founders_privilege_is_checked_in_the_service_too(app, world):
    with app.app_context():
        with unit_of_work(db.session):
            db.session.add(User(username="bob", password_hash="x"))
        with pytest.raises(Forbidden, match="unlocks at 1000 points"):
            communities.create_community(
                db.session,
                user_named("bob"),
                CommunityDraft(name="Chem", slug="chem"),
                default_rules(),
                QUESTION,
            )


def signed_in(app, username: str):
    client = app.test_client()
    assert sign_up(client, username).status_code == 302
    return client


def change_role(client, slug: str, username: str, role: str, remove: bool = False):
    url = f"/communities/{slug}/roles" + ("/remove" if remove else "")
    token = csrf_token(client, "/communities")
    return client.post(url, data={"csrf_token": token, "username": username, "role": role})


@pytest.fixture
def cast_of_people(app, world):
    """alice founds chemistry; bob and carol are contributors; dana is a site admin."""
    clients = {name: signed_in(app, name) for name in ("alice", "bob", "carol", "dana")}
    make_admin(app, "dana")
    found(app, "alice")
    return clients


@pytest.mark.parametrize(
    ("actor", "status"), [("alice", 302), ("dana", 302), ("bob", 403)], ids=str
)
def test_only_moderators_and_admins_give_roles(app, cast_of_people, actor, status):
    reply = change_role(cast_of_people[actor], "chemistry", "carol", "auditor")
    assert reply.status_code == status
    expected = {("alice", "moderator")} | ({("carol", "auditor")} if status == 302 else set())
    assert roles_of(app, "chemistry") == expected
    page = cast_of_people[actor].get("/communities/chemistry/roles")
    assert page.status_code == (200 if status == 302 else 403)
    if status == 403:
        assert "Only moderators of Chemistry (and site admins) may do this." in page.get_data(
            as_text=True
        )


def test_a_moderator_adds_moderators_and_removes_auditors_but_not_moderators(app, cast_of_people):
    alice = cast_of_people["alice"]
    assert change_role(alice, "chemistry", "bob", "moderator").status_code == 302
    assert change_role(alice, "chemistry", "carol", "auditor").status_code == 302
    roles_page = alice.get("/communities/chemistry/roles").get_data(as_text=True)
    assert "carol" in roles_page and "bob" in roles_page
    # bob, now a moderator, takes carol's auditor role away
    assert (
        change_role(cast_of_people["bob"], "chemistry", "carol", "auditor", True).status_code == 302
    )
    refused = change_role(alice, "chemistry", "bob", "moderator", remove=True)
    assert refused.status_code == 403
    assert "Only site admins may remove a moderator." in refused.get_data(as_text=True)
    assert roles_of(app, "chemistry") == {("alice", "moderator"), ("bob", "moderator")}
    dana = cast_of_people["dana"]
    assert change_role(dana, "chemistry", "bob", "moderator", remove=True).status_code == 302
    assert roles_of(app, "chemistry") == {("alice", "moderator")}


@pytest.mark.parametrize(
    ("username", "role", "message"),
    [
        ("nobody", "auditor", "There is no account called &#39;nobody&#39;."),
        ("carol", "owner", "role must be one of moderator, auditor."),
    ],
)
def test_a_role_for_no_account_or_no_role_is_refused_on_the_page(
    app, cast_of_people, username, role, message
):
    reply = change_role(cast_of_people["alice"], "chemistry", username, role)
    assert reply.status_code in (400, 404) and message in reply.get_data(as_text=True)
    assert roles_of(app, "chemistry") == {("alice", "moderator")}


def add_vote(community_id: int, model_a: int, model_b: int, choice: str, answer=None) -> None:
    vote = Vote(community_id=community_id, model_a_id=model_a, model_b_id=model_b, choice=choice)
    db.session.add(vote)
    db.session.flush()
    if answer is not None:
        chosen = model_a if choice == "a" else model_b
        db.session.add(
            QuestionAnswer(
                vote_id=vote.id, community_id=community_id, model_id=chosen, answer=answer
            )
        )


def add_audited_chats(community_id: int, contributor_id: int, verdict_pairs) -> None:
    """One decided chat per pair of verdicts, audited by two auditors."""
    auditors = []
    for name in ("auditor-1", "auditor-2"):
        auditors.append(User(username=name, password_hash="x"))
        db.session.add(auditors[-1])
    db.session.flush()
    for number, verdicts in enumerate(verdict_pairs):
        chat = SharedChat(
            contributor_id=contributor_id,
            community_id=community_id,
            source_format="openwebui",
            licence="CC0-1.0",
            review_status=ACCEPTED if verdicts[0] == "accept" else REJECTED,
            title=f"Chat {number}",
        )
        db.session.add(chat)
        db.session.flush()
        for auditor, verdict in zip(auditors, verdicts, strict=True):
            db.session.add(Audit(chat_id=chat.id, auditor_id=auditor.id, verdict=verdict))


def test_the_community_page_shows_its_parts(app, cast_of_people):
    found(app, "alice", "physics", guidelines="Units **always**. <script>alert(1)</script>")
    with app.app_context(), unit_of_work(db.session):
        physics = db.session.scalar(select(Community).where(Community.slug == "physics"))
        first, second = db.session.scalars(
            select(LanguageModel.id).order_by(LanguageModel.id)
        ).all()[:2]
        for choice, answer in [("a", True), ("a", True), ("a", False), ("b", False)]:
            add_vote(physics.id, first, second, choice, answer)
        # Krippendorff's hand-worked example: alpha = 8 / 15 (arena/auditing/agreement.py)
        pairs = [("accept", "accept"), ("accept", "reject"), ("reject", "reject")]
        add_audited_chats(physics.id, user_named("bob").id, [*pairs, ("accept", "accept")])
    page = cast_of_people["carol"].get("/communities/physics").get_data(as_text=True)
    assert "Units <strong>always</strong>." in page and "<script>alert(1)" not in page
    assert "0.53" in page  # the auditors' alpha
    # the question's results: Zephyrine 0 chosen 3 times (2 yes), Zephyrine 1 once (no)
    assert "<td>Zephyrine 0</td><td>67 %</td><td>3</td>" in page
    assert "<td>Zephyrine 1</td><td>0 %</td><td>1</td>" in page
    for link in (
        "/communities/physics/audit",
        "/communities/physics/datasets",
        "/people?community=physics",
        "/leaderboard?community=physics",
        "/api/v1/communities/physics/recommendations",
    ):
        assert f'href="{link}' in page, link
    assert 'id="recommended"' in page and "/roles" not in page  # carol moderates nothing
    assert "bob" not in page  # the chats' contributor is named nowhere
    roles_page = cast_of_people["alice"].get("/communities/physics/roles").get_data(as_text=True)
    # each auditor's verdicts against the decisions, which followed auditor-1's here
    assert "<td>auditor-1</td><td>4</td><td>4</td>\n        <td>1.00</td>" in roles_page


def test_every_community_is_listed_and_an_unknown_one_is_404(app, cast_of_people):
    listing = cast_of_people["bob"].get("/communities").get_data(as_text=True)
    for slug in ("general", "coding", "chemistry"):
        assert f'href="/communities/{slug}"' in listing
    assert cast_of_people["bob"].get("/communities/nope").status_code == 404
    anonymous = app.test_client().get("/communities").get_data(as_text=True)
    assert "Log in: create a community unlocks at 1000 points." in anonymous


def test_founding_and_roles_on_both_databases(any_app, any_world):
    with any_app.app_context(), unit_of_work(db.session):
        for name in ("alice", "bob", "carol"):
            db.session.add(User(username=name, password_hash="x"))
    found(any_app, "alice")
    with any_app.app_context(), unit_of_work(db.session):
        alice, bob = user_named("alice"), user_named("bob")
        chemistry = db.session.scalar(select(Community).where(Community.slug == "chemistry"))
        with pytest.raises(Conflict, match="called 'chemistry' already"):
            communities.checked_draft(db.session, CommunityDraft("Chem 2", "chemistry"), QUESTION)
        with pytest.raises(Forbidden, match="Only moderators of Chemistry"):
            communities.grant_role(db.session, bob, chemistry, "carol", "auditor")
        assert communities.grant_role(db.session, alice, chemistry, "carol", "auditor")
        assert not communities.grant_role(db.session, alice, chemistry, "carol", "auditor")
        assert communities.moderator_names(db.session, chemistry.id) == ["alice"]
        assert communities.remove_role(db.session, alice, chemistry, "carol", "auditor")
        assert not communities.remove_role(db.session, alice, chemistry, "carol", "auditor")
    assert roles_of(any_app, "chemistry") == {("alice", "moderator")}
