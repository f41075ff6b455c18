"""The reveal after a vote: points and why, both models' standing, others' judgement, badges;
and back-then-vote-again lands on the reveal instead of a bare 409."""

import re

import pytest
from sqlalchemy import select

from arena.extensions import db
from arena.game.rules import default_rules
from arena.models import Battle, LanguageModel, Rating, Response, utcnow
from arena.voting.ratings import conservative_score
from tests.conftest import api_client_for, csrf_token, sign_up
from tests.factories import cast, make_voter, make_world, serve

VOTE_FORM = re.compile(r'action="/arena/([^/]+)/vote"')
OTHERS = re.compile(r"How (\d+) other voters judged this pair")


@pytest.fixture
def one_pair(app):
    """Two models and one prompt: every battle is the same pair on the same prompt."""
    with app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general",))


@pytest.fixture
def client(app, one_pair):
    client = app.test_client()
    assert sign_up(client).status_code == 302
    return client


def open_battle(client) -> str:
    return VOTE_FORM.search(client.get("/arena").get_data(as_text=True)).group(1)


def vote(client, token: str, choice: str):
    csrf = csrf_token(client, "/")
    return client.post(f"/arena/{token}/vote", data={"choice": choice, "csrf_token": csrf})


def vote_and_reveal(client, choice: str = "a") -> tuple[str, str]:
    token = open_battle(client)
    reply = vote(client, token, choice)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return token, without_data_marks(client.get(reply.headers["Location"]).get_data(as_text=True))


def without_data_marks(page: str) -> str:
    """The page with the spans and attributes that mark data as not for translation taken out."""
    unwrapped = re.sub(r'<span translate="no">([^<]*)</span>', r"\1", page)
    return unwrapped.replace(' translate="no"', "")


def others_vote(app, count: int, choice_for_model: str) -> None:
    """`count` other voters each vote for the model named `choice_for_model`, whatever its side."""
    with app.app_context():
        for number in range(count):
            voter, _ = make_voter(db.session, f"other{number}")
            battle = serve(db.session, voter.id)
            side_a = db.session.scalar(
                select(LanguageModel.name)
                .join(Response, Response.model_id == LanguageModel.id)
                .where(Response.id == battle.response_a_id)
            )
            cast(db.session, voter.id, battle.token, "a" if side_a == choice_for_model else "b")


def test_the_reveal_shows_points_earned_and_why(app, client):
    with app.app_context():  # both models arrive after the voter joined
        for model in db.session.scalars(select(LanguageModel)):
            model.created_at = utcnow()
        db.session.commit()
    _, page = vote_and_reveal(client, "tie")
    points = page.split('id="reveal-points"')[1].split("</div>")[0]
    assert "+1</strong> · Cast a blind vote" in points
    # Both models are new to the voter and unvoted: the vote discovers them (3 points each).
    assert points.count("One of the first votes on a model added after you joined") == 2
    assert "earned you <strong>7 points</strong>" in points


def test_the_reveal_shows_both_models_rank_and_this_votes_score_change(app, client):
    others_vote(app, 1, "Zephyrine 0")  # both models are on the board before our vote
    with app.app_context():
        before = {
            name: conservative_score(mu, sigma)
            for name, mu, sigma in db.session.execute(
                select(LanguageModel.name, Rating.mu, Rating.sigma)
                .join(Rating, Rating.model_id == LanguageModel.id)
                .where(Rating.scope == "general")
            )
        }
    token, page = vote_and_reveal(client, "b")
    names = {side: re.search(rf'class="model-{side}">([^<]+)<', page).group(1) for side in "ab"}
    with app.app_context():
        after = {
            name: conservative_score(mu, sigma)
            for name, mu, sigma in db.session.execute(
                select(LanguageModel.name, Rating.mu, Rating.sigma)
                .join(Rating, Rating.model_id == LanguageModel.id)
                .where(Rating.scope == "general")
            )
        }
    for side in "ab":
        row = page.split(f'class="standing-{side}"')[1].split("</tr>")[0]
        name = names[side]
        winner_rank = "#1 of 2" if after[name] > after[names["ab"[side == "a"]]] else "#2 of 2"
        assert winner_rank in row
        assert f"{after[name]:.2f}" in row
        assert f"{after[name] - before[name]:+.2f}" in row


def test_the_score_change_is_not_claimed_when_another_vote_moved_the_model(app, client):
    others_vote(app, 1, "Zephyrine 0")
    token, first_look = vote_and_reveal(client, "a")
    assert first_look.count('class="muted">not known') == 0
    with app.app_context():
        voter, _ = make_voter(db.session, "late")
        battle = serve(db.session, voter.id)
        cast(db.session, voter.id, battle.token, "a")
    page = without_data_marks(client.get(f"/arena/{token}/result").get_data(as_text=True))
    assert page.count('class="muted">not known') == 2


@pytest.mark.parametrize("others", [2, 3])
def test_others_judgement_shows_only_once_three_others_voted(app, client, others):
    others_vote(app, others, "Zephyrine 1")
    battle_page = client.get("/arena").get_data(as_text=True)
    assert "other voters judged" not in battle_page  # never before the vote
    _, page = vote_and_reveal(client, "tie")
    judged = OTHERS.search(page)
    if others < 3:
        assert judged is None and "Fewer than 3 other people" in page
        return
    assert judged.group(1) == "3"
    side = "a" if re.search(r'class="model-a">Zephyrine 1<', page) else "b"
    assert f"3 said {side.upper()} (Zephyrine 1) is better" in page
    other = "b" if side == "a" else "a"
    assert f"0 said {other.upper()} (Zephyrine 0) is better" in page


def test_the_reveal_shows_the_badges_this_vote_moved(client):
    first, volume = default_rules().badge("first-vote"), default_rules().badge("votes-25")
    _, page = vote_and_reveal(client, "a")
    steps = page.split('id="reveal-badges"')[1].split("</div>")[0]
    assert re.search(rf"<strong[^>]*>{first.name}</strong>[^<]*earned with this vote!", steps)
    assert re.search(rf"<strong[^>]*>{volume.name}</strong>.*?</progress> 1 of 25<", steps, re.S)
    _, second = vote_and_reveal_again(client)
    second_steps = second.split('id="reveal-badges"')[1].split("</div>")[0]
    assert first.name not in second_steps  # held since the first vote: not moved again
    moved = rf"<strong[^>]*>{volume.name}</strong>.*?</progress> 2 of 25<"
    assert re.search(moved, second_steps, re.S)


def vote_and_reveal_again(client):
    """A second vote needs a second pair: add a model the voter has not judged."""
    app = client.application
    with app.app_context():
        world_prompt = db.session.scalar(select(Response.prompt_id))
        newcomer = LanguageModel(slug="model-new", name="Zephyrine New", organization="Lab N")
        db.session.add(newcomer)
        db.session.add(Response(prompt_id=world_prompt, model=newcomer, text="Another answer."))
        db.session.commit()
    return vote_and_reveal(client, "a")


def test_voting_again_after_going_back_shows_the_reveal(app, client):
    token = open_battle(client)
    assert vote(client, token, "a").status_code == 302
    again = vote(client, token, "b")
    assert again.status_code == 302 and again.headers["Location"] == f"/arena/{token}/result"
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "your first vote stands" in page and "You voted: <strong>A is better" in page
    with app.app_context():
        assert db.session.scalar(select(Battle.status).where(Battle.token == token)) == "voted"


def test_the_api_still_refuses_a_second_vote(app, one_pair):
    api = api_client_for(app)
    token = api.battle()["token"]
    assert api.vote(token, "a").status_code == 200
    assert api.vote(token, "b").status_code == 409


def test_someone_elses_battle_is_still_not_found(app, client):
    with app.app_context():
        voter, _ = make_voter(db.session, "owner")
        token = serve(db.session, voter.id).token
    assert vote(client, token, "a").status_code == 404
