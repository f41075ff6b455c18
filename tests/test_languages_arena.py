"""The voter's language filter on /arena, through the page: only prompts in the chosen
language, remembered in the session; any language with a notice once none is left; a
malformed choice is a 400 that changes nothing."""

import re

import pytest
from sqlalchemy import select, update

from arena.core.db import unit_of_work
from arena.extensions import db
from arena.models import Prompt, Vote
from tests.backends_support import seeded_custom_app
from tests.conftest import CSRF_PATTERN, api_client_for

QUESTION = re.compile(r"Question (\d) for general")
VOTE_FORM = re.compile(r'action="/arena/([^/"]+)/vote"')


def label_prompts(app, chinese: set[int]) -> None:
    """general's prompts 0-5: the numbers in `chinese` are Chinese, the rest English."""
    with app.app_context(), unit_of_work(db.session):
        for number in range(6):
            db.session.execute(
                update(Prompt)
                .where(Prompt.external_id == f"test:general:{number}")
                .values(language="zh" if number in chinese else "en")
            )


def shown(page: str) -> int:
    return int(QUESTION.search(page).group(1))


def vote(client, page: str) -> None:
    token = VOTE_FORM.search(page).group(1)
    csrf = CSRF_PATTERN.search(page).group(1)
    reply = client.post(f"/arena/{token}/vote", data={"choice": "a", "csrf_token": csrf})
    assert reply.status_code == 302, reply.get_data(as_text=True)


def test_chosen_chinese_serves_only_chinese_prompts_and_is_remembered(app, browser_client):
    label_prompts(app, chinese={0, 1, 2})
    page = browser_client.get("/arena?community=general&prompts=zh").get_data(as_text=True)
    assert '<option value="zh" lang="zh" selected>中文</option>' in page
    assert '<option value="en" lang="en" >English</option>' in page
    served = []
    for _ in range(8):  # the choice is kept: later pages ask for no language
        served.append(shown(page))
        vote(browser_client, page)
        page = browser_client.get("/arena?community=general").get_data(as_text=True)
    assert set(served) <= {0, 1, 2} and len(set(served)) > 1
    with app.app_context():
        assert set(db.session.scalars(select(Vote.language))) == {"zh"}
    page = browser_client.get("/arena?community=general&prompts=any").get_data(as_text=True)
    assert '<option value="zh" lang="zh" >中文</option>' in page


def test_when_no_chinese_battle_is_left_any_language_comes_with_a_notice(app, browser_client):
    label_prompts(app, chinese={0})  # 4 models: 6 pairs on the one Chinese prompt
    page = browser_client.get("/arena?community=general&prompts=zh").get_data(as_text=True)
    for _ in range(6):
        assert shown(page) == 0 and "No battle is left for you in" not in page
        vote(browser_client, page)
        page = browser_client.get("/arena?community=general").get_data(as_text=True)
    assert "No battle is left for you in 中文 here" in page and shown(page) != 0
    assert '<option value="zh" lang="zh" selected>中文</option>' in page  # still chosen


@pytest.mark.parametrize("asked", ["ZH", "zh-Hans", "1", "<script>"])
def test_a_malformed_choice_is_400_and_keeps_the_previous_one(app, browser_client, asked):
    label_prompts(app, chinese={0, 1, 2})
    browser_client.get("/arena?community=general&prompts=zh")
    reply = browser_client.get("/arena", query_string={"community": "general", "prompts": asked})
    assert reply.status_code == 400 and "language must be" in reply.get_data(as_text=True)
    page = browser_client.get("/arena?community=general").get_data(as_text=True)
    assert shown(page) in {0, 1, 2}


def test_a_custom_prompt_gets_its_language(tmp_path, monkeypatch):
    """Asked live of the embedded model: the stored prompt carries its language."""
    app = seeded_custom_app(tmp_path, monkeypatch)
    api = api_client_for(app, "asker")
    reply = api.post(
        "/api/v1/battles", json={"prompt": "用一句话介绍北京。", "community": "general"}
    )
    assert reply.status_code == 201, reply.get_json()
    with app.app_context():
        assert db.session.scalar(select(Prompt.language).where(Prompt.origin == "custom")) == "zh"
        db.session.remove()
        db.engine.dispose()
