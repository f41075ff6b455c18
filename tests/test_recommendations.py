"""Recommendations per community on hand-built votes (known best model, tag winners, prompts),
their API shape, and a community created on the site working as the seeded ones do."""

import json

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from arena.auditing import decisions, recommendations
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Battle, Community, LanguageModel, Prompt, User, Vote, utcnow
from arena.models.chats import ACCEPTED, PENDING, REJECTED, SharedChat
from arena.models.library import PromptShare
from arena.voting.bradley_terry import Board
from tests.chat_exports import export, two_model_chat
from tests.conftest import api_client_for
from tests.test_communities import found


def row(model, score, lower, upper, votes=100):
    return {"model": model, "score": score, "ci_lower": lower, "ci_upper": upper, "votes": votes}


def test_models_whose_interval_overlaps_the_leaders_are_tied_for_first():
    rows = [
        {**row("A", 1100, 1060, 1140), "preliminary": False},
        {**row("B", 1080, 1045, 1061), "preliminary": False},  # reaches A's lower bound
        {**row("C", 1050, 1010, 1059), "preliminary": False},  # just below it
        {**row("D", 1200, 900, 1500, votes=3), "preliminary": True},  # too few votes to lead
    ]
    best = recommendations.best_models(rows)
    assert [(r["model"], r["tied_for_first"]) for r in best] == [
        ("A", True),
        ("B", True),
        ("C", False),
    ]
    only_preliminary = recommendations.best_models([rows[3]])
    assert [(r["model"], r["tied_for_first"]) for r in only_preliminary] == [("D", True)]
    assert recommendations.best_models([]) == []


class Chemistry:
    """A community built row by row, so every count below is known."""

    def __init__(self, session):
        self.session = session
        self.contributor = User(username="zelda", password_hash="x")
        self.community = Community(slug="chemistry", name="Chemistry")
        session.add_all([self.contributor, self.community])
        session.flush()
        self.models = list(session.scalars(select(LanguageModel.id).order_by(LanguageModel.id)))

    def chat(self, tags, review_status=ACCEPTED) -> int:
        chat = SharedChat(
            contributor_id=self.contributor.id,
            community_id=self.community.id,
            source_format="openwebui",
            licence="CC0-1.0",
            tags=tags,
            review_status=review_status,
        )
        self.session.add(chat)
        self.session.flush()
        return chat.id

    def library(self, title, tags=(), system_prompt="") -> int:
        share = PromptShare(
            author_id=self.contributor.id,
            community_id=self.community.id,
            title=title,
            text=f"{title}?",
            system_prompt=system_prompt,
            tags=list(tags),
        )
        self.session.add(share)
        self.session.flush()
        return share.id

    def votes(self, chat_id, model_a, model_b, choices, library_id=None, trust=None):
        prompt = Prompt(
            community_id=self.community.id,
            origin="custom" if library_id else "shared_chat",
            text="A question",
            shared_chat_id=chat_id,
            library_prompt_id=library_id,
        )
        self.session.add(prompt)
        self.session.flush()
        for choice in choices:
            self.session.add(
                Vote(
                    community_id=self.community.id,
                    prompt_id=prompt.id,
                    model_a_id=self.models[model_a],
                    model_b_id=self.models[model_b],
                    choice=choice,
                    voter_trust=trust,
                )
            )


def empty_board() -> Board:
    nothing = np.array([])
    return Board([], nothing, nothing, nothing, nothing)


def test_tag_winners_and_prompts_on_hand_counted_votes(any_app, any_world):
    with any_app.app_context(), unit_of_work(db.session):
        chem = Chemistry(db.session)
        # acids and lab: model 1 (as a) wins 6, model 0 wins 2, a tie and a both-bad count half
        # each: 7 / 10 against 3 / 10
        chem.votes(chem.chat(["Acids", "lab"]), 1, 0, ["a"] * 6 + ["b"] * 2 + ["tie", "both_bad"])
        chem.votes(chem.chat(["acids"], REJECTED), 0, 1, ["a"] * 30)  # rejected: not counted
        chem.votes(chem.chat(["acids"], PENDING), 0, 1, ["a"] * 30)  # not reviewed yet
        chem.votes(chem.chat(["acids"]), 0, 1, ["a"] * 5, trust="excluded")  # excluded voter
        chem.votes(chem.chat(["bases"]), 2, 3, ["a"] * 6)  # 6 votes: too few to name a winner
        chem.votes(chem.chat(["acids"]), 2, 3, ["a"] * 2)  # won all, but on only 2 votes
        careful = chem.library("Titrate", ["titration"], "You are a careful chemist.")
        chem.votes(chem.chat([]), 2, 3, ["a", "a", "a", "both_bad"], library_id=careful)
        chem.votes(chem.chat([]), 0, 1, ["a", "a"], library_id=chem.library("Two votes"))
        chem.votes(chem.chat([]), 0, 1, ["b"] * 3, library_id=chem.library("Spectra"))
        result = recommendations.recommend(db.session, chem.community, empty_board(), 50)
    winner = {"model": "Zephyrine 1", "win_rate": 0.7, "model_votes": 10}
    assert result["tags"] == [
        {"tag": "acids", **winner, "tag_votes": 12},
        {"tag": "lab", **winner, "tag_votes": 10},
    ]
    assert [
        (p["title"], p["answer_rating"], p["votes"], p["top_model"]) for p in result["prompts"]
    ] == [
        ("Spectra", 1.0, 3, "Zephyrine 1"),
        ("Titrate", 0.75, 4, "Zephyrine 2"),
    ]
    assert result["prompts"][1]["system_prompt"] == "You are a careful chemist."
    assert "zelda" not in json.dumps(result)  # no contributor or author is named


@pytest.fixture
def chemistry(app, world):
    """chemistry founded by alice; zelda shared one two-model chat into it, still pending."""
    with app.app_context(), unit_of_work(db.session):
        db.session.add(User(username="alice", password_hash="x"))
    found(app, "alice")
    zelda = api_client_for(app, "zelda")
    body = {
        "community": "chemistry",
        "licence": "CC0-1.0",
        "tags": ["acids"],
        "chats": json.loads(export(two_model_chat(question="Why does HCl fume in moist air?"))),
    }
    assert zelda.post("/api/v1/chats", json=body).status_code == 201
    return app


def accept_chats(app) -> None:
    with app.app_context(), unit_of_work(db.session):
        for chat in db.session.scalars(select(SharedChat)):
            decisions.accept(db.session, chat, utcnow())


def vote_for_llama(app, voter, token: str):
    """Vote for the side that llama3.1:8b answered (looked up server-side, as a test may)."""
    with app.app_context():
        battle = db.session.scalar(select(Battle).where(Battle.token == token))
        side = "a" if battle.response_a.model.slug == "llama3.1:8b" else "b"
    return voter.vote(token, side)


def test_a_created_community_serves_its_accepted_chats_and_recommends(chemistry):
    app = chemistry
    voters = [api_client_for(app, f"voter-{n}") for n in range(3)]
    pending = voters[0].post("/api/v1/battles", json={"community": "chemistry"})
    assert pending.status_code == 404  # nothing accepted yet: nothing to serve
    accept_chats(app)
    for voter in voters:
        battle = voter.battle("chemistry")
        assert battle["community"] == "chemistry" and "HCl" in battle["prompt"]
        assert "zelda" not in json.dumps(battle)
        assert vote_for_llama(app, voter, battle["token"]).status_code == 200
    client = voters[0]
    document = client.get("/api/v1/openapi.json").get_json()
    reply = client.get("/api/v1/communities/chemistry/recommendations")
    path = document["paths"]["/api/v1/communities/{slug}/recommendations"]["get"]
    schema = path["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    assert [error.message for error in validator.iter_errors(reply.get_json())] == []
    recommended = reply.get_json()
    assert [m["model"] for m in recommended["models"]] == ["llama3.1:8b", "qwen2.5:7b"]
    assert recommended["models"][0]["tied_for_first"] and recommended["models"][0]["preliminary"]
    assert recommended["tags"] == []  # 3 votes on "acids": under the 10 a tag needs
    page = client.get("/communities/chemistry").get_data(as_text=True)
    assert "llama3.1:8b" in page and "zelda" not in page
    assert "zelda" not in client.get("/api/v1/communities/chemistry").get_data(as_text=True)
    board = client.get("/api/v1/leaderboard?community=chemistry&method=bt").get_json()
    assert board["models"][0]["model"] == "llama3.1:8b"


def test_the_communities_api_lists_and_describes(chemistry):
    client = api_client_for(chemistry, "reader")
    listed = client.get("/api/v1/communities").get_json()["communities"]
    assert [c["slug"] for c in listed] == ["general", "coding", "chemistry"]
    detail = client.get("/api/v1/communities/chemistry").get_json()
    assert detail["moderators"] == ["alice"] and detail["audit_queue"] == {PENDING: 1}
    assert detail["question"] == "Would you want your model to behave more like this?"
    assert client.get("/api/v1/communities/nope").status_code == 404
    assert client.get("/api/v1/communities/nope/recommendations").status_code == 404
