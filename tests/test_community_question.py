"""The community's own question after a vote: asked about the chosen answer only, answered once
per vote by its own voter, stored with the chosen answer's model, and counted per model."""

import pytest
from sqlalchemy import select, update

from arena.auditing import questions
from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Battle, Community, QuestionAnswer, Vote
from tests.conftest import api_client_for, csrf_token, sign_up

QUESTION = "Would you want your model to behave more like this?"


def ask_in(app, slug="general", question=QUESTION) -> int:
    """Communities of the test world ask nothing until given a question."""
    with app.app_context(), unit_of_work(db.session):
        community = db.session.scalar(select(Community).where(Community.slug == slug))
        community.question = question
        return community.id


def answer(api, token, yes):
    return api.post(f"/api/v1/battles/{token}/answer", json={"yes": yes})


def stored(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(QuestionAnswer.vote_id, QuestionAnswer.model_id, QuestionAnswer.answer)
        ).all()


def voted(api, choice, community="general") -> tuple[str, dict]:
    token = api.battle(community)["token"]
    reply = api.vote(token, choice)
    assert reply.status_code == 200
    return token, reply.get_json()["models"]


@pytest.mark.parametrize("choice", ["a", "b"])
def test_the_answer_is_stored_once_with_the_chosen_answers_model(any_app, any_api, choice):
    ask_in(any_app)
    token, models = voted(any_api, choice)
    reply = answer(any_api, token, True)
    assert reply.status_code == 201
    assert reply.get_json() == {
        "token": token,
        "question": QUESTION,
        "yes": True,
        "model": models[choice],
    }
    with any_app.app_context():
        vote = db.session.scalar(select(Vote).join(Battle).where(Battle.token == token))
        chosen = vote.model_a_id if choice == "a" else vote.model_b_id
        assert stored(any_app) == [(vote.id, chosen, True)]
    again = answer(any_api, token, False)
    assert again.status_code == 409
    assert again.get_json()["error"] == "You answered this question for this vote already."
    assert len(stored(any_app)) == 1


@pytest.mark.parametrize("choice", ["tie", "both_bad"])
def test_ties_and_both_bad_are_not_asked(app, api, choice):
    ask_in(app)
    token, _ = voted(api, choice)
    reply = answer(api, token, True)
    assert reply.status_code == 409
    assert "only about an answer you chose" in reply.get_json()["error"]
    assert stored(app) == []


def test_only_the_votes_own_voter_answers_and_only_after_voting(app, api):
    ask_in(app)
    token, _ = voted(api, "a")
    other = api_client_for(app, "other")
    assert answer(other, token, True).status_code == 404
    open_token = api.battle()["token"]
    before = answer(api, open_token, True)
    assert before.status_code == 409 and before.get_json()["error"].startswith("Vote first")
    assert answer(api, "no-such-battle", True).status_code == 404
    assert stored(app) == []


def test_a_community_without_a_question_asks_nothing(app, api):
    ask_in(app, question="  ")
    token, _ = voted(api, "a")
    reply = answer(api, token, True)
    assert reply.status_code == 409
    assert reply.get_json()["error"] == "General asks no question after a vote."


@pytest.mark.parametrize("body", [{"yes": "yes"}, {"yes": 1}, {}, {"yes": None}])
def test_the_answer_must_be_true_or_false(app, api, body):
    ask_in(app)
    token, _ = voted(api, "a")
    reply = api.post(f"/api/v1/battles/{token}/answer", json=body)
    assert reply.status_code == 400 and "yes" in reply.get_json()["error"]
    assert stored(app) == []


def test_the_result_page_asks_after_a_choice_and_thanks_after_the_answer(app, world):
    ask_in(app)
    client = app.test_client()
    assert sign_up(client, "alice").status_code == 302
    client.get("/arena")
    with app.app_context():
        token = db.session.scalar(select(Battle.token))
    client.post(f"/arena/{token}/vote", data={"choice": "b", "csrf_token": csrf_token(client)})
    page = client.get(f"/arena/{token}/result").get_data(as_text=True)
    assert QUESTION in page and 'name="answer" value="yes"' in page
    assert "About answer B, the one you chose." in page
    sent = client.post(
        f"/arena/{token}/answer", data={"answer": "no", "csrf_token": csrf_token(client)}
    )
    assert sent.status_code == 302 and sent.location == f"/arena/{token}/result"
    page = client.get(sent.location).get_data(as_text=True)
    assert 'name="answer"' not in page
    assert "You answered <strong>no</strong> about answer B" in page
    assert [row[2] for row in stored(app)] == [False]
    twice = client.post(
        f"/arena/{token}/answer",
        data={"answer": "yes", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "You answered this question for this vote already." in twice.get_data(as_text=True)
    assert [row[2] for row in stored(app)] == [False]
    refused = client.post(
        f"/arena/{token}/answer", data={"answer": "maybe", "csrf_token": csrf_token(client)}
    )
    assert refused.status_code == 400


@pytest.mark.parametrize(("choice", "question"), [("tie", QUESTION), ("a", "")])
def test_the_result_page_does_not_ask_after_a_tie_or_without_a_question(
    app, world, choice, question
):
    ask_in(app, question=question)
    client = app.test_client()
    assert sign_up(client, "alice").status_code == 302
    client.get("/arena")
    with app.app_context():
        token = db.session.scalar(select(Battle.token))
    client.post(f"/arena/{token}/vote", data={"choice": choice, "csrf_token": csrf_token(client)})
    page = client.get(f"/arena/{token}/result").get_data(as_text=True)
    assert 'id="community-question"' not in page and "behave more like this" not in page


def test_results_count_yes_and_no_per_model_in_the_community(app, world):
    general = ask_in(app)
    ask_in(app, "coding")
    # Each voter chooses side a and answers; what counts is the model behind the chosen side.
    said = [True, True, False, True, False, True]
    chosen = []
    for number, yes in enumerate(said):
        api = api_client_for(app, f"voter{number}")
        token, models = voted(api, "a")
        assert answer(api, token, yes).status_code == 201
        chosen.append(models["a"])
    coding = api_client_for(app, "coder")
    token, _ = voted(coding, "b", "coding")
    assert answer(coding, token, True).status_code == 201  # another community's answer
    expected = {}
    for model, yes in zip(chosen, said, strict=True):
        counts = expected.setdefault(model, {"yes": 0, "no": 0})
        counts["yes" if yes else "no"] += 1
    for counts in expected.values():
        counts["share"] = round(counts["yes"] / (counts["yes"] + counts["no"]), 4)
    with app.app_context():
        results = questions.results(db.session, general)
    assert results == dict(sorted(expected.items()))
    assert sum(c["yes"] + c["no"] for c in results.values()) == len(said)


def test_results_leave_out_voters_the_integrity_rules_excluded(app, world):
    general = ask_in(app)
    api = api_client_for(app, "voter")
    token, models = voted(api, "a")
    assert answer(api, token, True).status_code == 201
    with app.app_context():
        assert questions.results(db.session, general) == {
            models["a"]: {"yes": 1, "no": 0, "share": 1.0}
        }
        with unit_of_work(db.session):
            db.session.execute(update(Vote).values(voter_trust="excluded"))
        assert questions.results(db.session, general) == {}
