"""Claimed answers checked against the model they name: the bundled SmolLM2, run for real."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from arena.core.db import unit_of_work
from arena.custom.backends import embedded, generate, load_catalogue
from arena.extensions import db
from arena.integrity import attribution
from arena.models import AttributionCheck, Community, LanguageModel, Prompt, Response, utcnow
from tests.backends_support import require_packages
from tests.conftest import build_app, csrf_token

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "backends.json"
CLAIMED = "smollm2-135m-concise"
QUESTION = "What is the capital of France?"
# An answer in another author's voice, as a fabricated upload would carry.
FOREIGN = (
    "Ah, an excellent query! The illustrious capital of the French Republic is, of course, "
    "Paris: a metropolis renowned for its boulevards, its cuisine, and the Eiffel Tower, which "
    "Gustave Eiffel's company erected for the Exposition Universelle of 1889."
)


@pytest.fixture(scope="module")
def catalogue_file(tmp_path_factory):
    """The seeded catalogue with short answers, to keep the CPU time of these tests modest."""
    require_packages("llama_cpp")
    data = json.loads(SEEDS.read_text())
    for model in data["models"]:
        model["params"]["max_tokens"] = 48
    path = tmp_path_factory.mktemp("catalogue") / "backends.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def config(catalogue_file):
    return load_catalogue(catalogue_file).model(CLAIMED)


def test_the_models_own_answer_scores_far_above_another_authors(config):
    conversation = [{"role": "user", "content": QUESTION}]
    own, _ = generate(config, conversation, seed=11)
    claimed_own, baseline = attribution.score(config, conversation, own)
    claimed_foreign, _ = attribution.score(config, conversation, FOREIGN)
    assert claimed_own >= baseline - attribution.MARGIN
    assert claimed_foreign < baseline - attribution.MARGIN
    assert embedded.answer_logprob(config, conversation, own) == pytest.approx(claimed_own)


def test_uploaded_claims_are_checked_and_outliers_listed_for_moderators(
    config, catalogue_file, tmp_path
):
    app = build_app(tmp_path, BACKENDS_FILE=str(catalogue_file))
    conversation = [{"role": "user", "content": QUESTION}]
    genuine, _ = generate(config, conversation, seed=5)
    with app.app_context():
        session = db.session
        community = Community(slug="general", name="General")
        claimed = LanguageModel(slug=CLAIMED, name="SmolLM2 135M (concise)")
        other = LanguageModel(slug="someone-else", name="Someone Else")
        session.add_all([community, claimed, other])
        for number, (model, text) in enumerate(
            [(claimed, genuine), (claimed, FOREIGN), (other, FOREIGN)]
        ):
            prompt = Prompt(
                community=community, origin="shared_chat", text=QUESTION, external_id=f"c{number}"
            )
            session.add_all([prompt, Response(prompt=prompt, model=model, text=text)])
        session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["arena", "check-attributions"])
    assert "Checked 2 claimed answers: 1 outliers." in result.output, result.output
    again = runner.invoke(args=["arena", "check-attributions"])
    assert "Checked 0 claimed answers" in again.output  # each answer is checked once
    with app.app_context():
        checks = db.session.scalars(select(AttributionCheck).order_by(AttributionCheck.response_id))
        assert [check.outlier for check in checks] == [False, True]
        (outlier,) = attribution.outliers(db.session)
        assert outlier.model == "SmolLM2 135M (concise)"
        catalogue = load_catalogue(catalogue_file)
        with unit_of_work(db.session):
            assert attribution.check_claims(db.session, catalogue, utcnow()) == []

    runner.invoke(
        args=["arena", "create-user", "mod", "--password", "correct horse", "--role", "admin"]
    )
    moderator = app.test_client()
    moderator.post(
        "/login",
        data={"username": "mod", "password": "correct horse", "csrf_token": csrf_token(moderator)},
    )
    page = moderator.get("/moderation").get_data(as_text=True)
    assert f"#{outlier.response_id}" in page and "SmolLM2 135M (concise)" in page
    with app.app_context():
        db.engine.dispose()
