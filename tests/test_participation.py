"""Who is being heard: participation per ISO week, vote concentration, languages, topics and
models per community, on hand-computed examples; the page and the API that show them."""

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
import pytest
from sqlalchemy import func, select

from arena.extensions import db
from arena.models import Audit, Community, LanguageModel, Prompt, User, Vote
from arena.models.chats import SharedChat
from arena.voting import participation
from tests.factories import make_world

# Wednesday of ISO week 2027-W01. 2026 has 53 ISO weeks: its week 53 runs from Monday
# 28 December 2026 to Sunday 3 January 2027.
NOW = datetime(2027, 1, 6, 12, 0, tzinfo=UTC)


def people(session, *names: str) -> list[int]:
    """Accounts as rows (no password work: these tests only count)."""
    users = [User(username=name, password_hash="-") for name in names]
    session.add_all(users)
    session.flush()
    return [user.id for user in users]


def world_ids(session) -> tuple[int, list[int], list[int]]:
    """(general's id, model ids, general's prompt ids) of a test world."""
    general = session.scalar(select(Community.id).where(Community.slug == "general"))
    models = list(session.scalars(select(LanguageModel.id).order_by(LanguageModel.id)))
    prompts = session.scalars(
        select(Prompt.id).where(Prompt.community_id == general).order_by(Prompt.id)
    )
    return general, models, list(prompts)


def add_votes(session, voter_id, count, at, *, community_id, models, prompt_id=None, language=None):
    session.add_all(
        Vote(
            voter_id=voter_id,
            community_id=community_id,
            prompt_id=prompt_id,
            model_a_id=models[0],
            model_b_id=models[1],
            choice="a",
            created_at=at,
            language=language,
        )
        for _ in range(count)
    )


# -- concentration, by hand ------------------------------------------------------------------


def test_ten_voters_shares_and_gini_by_hand(any_app):
    """Nine voters cast one vote each and one casts eleven: 20 votes.

    Top 1 %: ceil(1 % of 10) = 1 voter, the one with 11 votes: 11 / 20 = 0.55.
    Top 10 %: ceil(10 % of 10) = 1 voter, the same: 0.55.
    Gini, counts ascending x = (1, 1, 1, 1, 1, 1, 1, 1, 1, 11), n = 10, sum 20:
      sum_i (2i - n - 1) x_i = (-9 - 7 - 5 - 3 - 1 + 1 + 3 + 5 + 7) * 1 + 9 * 11 = -9 + 99 = 90,
      G = 90 / (10 * 20) = 0.45.
    Checked by the pair form: sum |x_i - x_j| = 2 * 9 * 10 = 180; 180 / (2 * 10^2 * 2) = 0.45.
    """
    with any_app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general", "coding"))
        general, models, _ = world_ids(db.session)
        coding = db.session.scalar(select(Community.id).where(Community.slug == "coding"))
        voters = people(db.session, *[f"v{n}" for n in range(10)])
        for voter in voters[:9]:
            add_votes(db.session, voter, 1, NOW, community_id=general, models=models)
        add_votes(db.session, voters[9], 11, NOW, community_id=general, models=models)
        add_votes(db.session, voters[0], 5, NOW, community_id=coding, models=models)  # elsewhere
        add_votes(db.session, None, 7, NOW, community_id=general, models=models)  # imported
        db.session.commit()
        since = participation.window(NOW, 12).since
        figures = participation.concentration(db.session, general, since)
    assert figures == {
        "voters": 10,
        "votes": 20,
        "top_1_percent": {"voters": 1, "share": 0.55},
        "top_10_percent": {"voters": 1, "share": 0.55},
        "gini": pytest.approx(0.45),
    }


@pytest.mark.parametrize(
    ("counts", "percent", "expected"),
    [
        # 20 voters: 10 + 6 + 18 * 1 = 34 votes. Top 1 %: 1 voter, 10 / 34; top 10 %: 2, 16 / 34.
        ([10, 6] + [1] * 18, 1, (1, 10 / 34)),
        ([10, 6] + [1] * 18, 10, (2, 16 / 34)),
        # 30 voters: 10 % is exactly 3 (0.1 * 30 is 3.0000000000000004 in floating point).
        ([4, 3, 2] + [1] * 27, 10, (3, 9 / 36)),
        ([1] * 101, 1, (2, 2 / 101)),  # 1 % of 101 rounds up to 2 voters
        ([7], 10, (1, 1.0)),
        ([], 1, (0, None)),
    ],
)
def test_top_shares_round_the_number_of_voters_up(counts, percent, expected):
    voters, share = participation.top_share(counts, percent)
    assert (voters, share) == (expected[0], pytest.approx(expected[1]) if share else None)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([5, 5, 5, 5], 0.0),  # everyone alike
        ([1, 3], 0.25),  # (-1 * 1 + 1 * 3) / (2 * 4); pairs: 2 * 2 / (2 * 4 * 2)
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 11], 0.45),
        ([], None),
    ],
)
def test_gini_by_hand(counts, expected):
    assert participation.gini(counts) == (None if expected is None else pytest.approx(expected))


def test_gini_equals_the_mean_absolute_difference_over_twice_the_mean():
    counts = np.random.default_rng(14).integers(1, 60, size=97)
    pairs = np.abs(counts[:, None] - counts[None, :]).sum()
    assert participation.gini(list(counts)) == pytest.approx(
        pairs / (2 * len(counts) ** 2 * counts.mean())
    )


# -- weeks -------------------------------------------------------------------------------------


def test_weeks_bucket_by_iso_week_across_a_year_boundary(any_app):
    at = {
        "W51 Sunday": datetime(2026, 12, 20, 23, 59, tzinfo=UTC),  # before the window
        "W52 Tuesday": datetime(2026, 12, 22, 9, 0, tzinfo=UTC),
        "W53 Thursday": datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
        "W53 Sunday": datetime(2027, 1, 3, 23, 59, 59, tzinfo=UTC),
        "W01 Monday": datetime(2027, 1, 4, 0, 0, 1, tzinfo=UTC),
    }
    with any_app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general", "coding"))
        general, models, _ = world_ids(db.session)
        coding = db.session.scalar(select(Community.id).where(Community.slug == "coding"))
        ann, bob, cat, dan, eve = people(db.session, "ann", "bob", "cat", "dan", "eve")
        votes = [
            (cat, "W51 Sunday"),
            (ann, "W53 Thursday"),
            (bob, "W53 Sunday"),
            (bob, "W53 Sunday"),
            (ann, "W01 Monday"),
            (None, "W53 Thursday"),
        ]
        for voter, moment in votes:
            add_votes(db.session, voter, 1, at[moment], community_id=general, models=models)
        chats = [
            (dan, general, "published", "W53 Sunday"),
            (eve, general, "withdrawn", "W53 Sunday"),  # taken back: not counted
            (eve, general, "published", "W01 Monday"),
            (ann, coding, "published", "W52 Tuesday"),  # another community's chat and audit
        ]
        for number, (who, community_id, status, moment) in enumerate(chats):
            chat = SharedChat(
                contributor_id=who,
                community_id=community_id,
                source_format="openai",
                licence="CC0-1.0",
                status=status,
                created_at=at[moment],
                fingerprint=f"chat-{number}",
            )
            db.session.add(chat)
            db.session.flush()
            db.session.add(
                Audit(chat_id=chat.id, auditor_id=cat, verdict="accept", created_at=at[moment])
            )
        db.session.commit()
        weeks = participation.weekly_people(db.session, general, participation.window(NOW, 3))
    assert weeks == [
        {"week": "2026-W52", "start": "2026-12-21", "voters": 0, "contributors": 0, "auditors": 0},
        {"week": "2026-W53", "start": "2026-12-28", "voters": 2, "contributors": 1, "auditors": 1},
        {"week": "2027-W01", "start": "2027-01-04", "voters": 1, "contributors": 1, "auditors": 1},
    ]


def test_a_window_is_whole_iso_weeks_ending_with_the_current_one():
    span = participation.window(NOW, 104)
    assert len(span.mondays) == 104 and span.mondays[-1].isoformat() == "2027-01-04"
    assert all(b - a == timedelta(weeks=1) for a, b in pairwise(span.mondays))
    assert all(monday.weekday() == 0 for monday in span.mondays)
    assert span.since == datetime(2025, 1, 13, tzinfo=UTC)


# -- languages, topics, models -------------------------------------------------------------


def test_languages_topics_and_models_count_prompts_and_votes(any_app):
    with any_app.app_context():
        make_world(db.session, models=3, prompts=4, communities=("general",))
        general, models, prompts = world_ids(db.session)
        for prompt_id, language, category in zip(
            prompts, ["en", "en", "de", None], ["coding", "", "coding", "maths"], strict=True
        ):
            prompt = db.session.get(Prompt, prompt_id)
            prompt.language, prompt.category = language, category
        db.session.get(Prompt, prompts[1]).is_active = False  # out of the pool, votes stay
        voter = people(db.session, "ann")[0]
        pair_01, pair_12 = models[:2], models[1:]
        add_votes(
            db.session, voter, 3, NOW, community_id=general, models=pair_01, prompt_id=prompts[0]
        )
        add_votes(
            db.session, voter, 2, NOW, community_id=general, models=pair_12, prompt_id=prompts[1]
        )
        add_votes(
            db.session, voter, 1, NOW, community_id=general, models=pair_12, prompt_id=prompts[3]
        )
        # An imported battle without its texts keeps the language it came with.
        add_votes(db.session, voter, 2, NOW, community_id=general, models=pair_01, language="fr")
        old = NOW - timedelta(weeks=20)  # before the window
        add_votes(
            db.session, voter, 4, old, community_id=general, models=pair_01, prompt_id=prompts[2]
        )
        db.session.commit()
        figures = participation.participation(
            db.session, db.session.get(Community, general), NOW, 12
        )
    assert figures["languages"] == [
        {"language": "en", "prompts": 1, "votes": 5},
        {"language": "fr", "prompts": 0, "votes": 2},
        {"language": "unknown", "prompts": 1, "votes": 1},
        {"language": "de", "prompts": 1, "votes": 0},
    ]
    assert figures["topics"] == [
        {"topic": "unknown", "prompts": 0, "votes": 4},
        {"topic": "coding", "prompts": 2, "votes": 3},
        {"topic": "maths", "prompts": 1, "votes": 1},
    ]
    # 8 votes in the window: the first pair 3 + 2 times, the second pair 2 + 1 times.
    assert figures["models"] == [
        {"model": "Zephyrine 1", "votes": 8},
        {"model": "Zephyrine 0", "votes": 5},
        {"model": "Zephyrine 2", "votes": 3},
    ]
    assert figures["concentration"]["votes"] == 8 and figures["since"] == "2026-10-19"


# -- the page and the API ----------------------------------------------------------------------


def voted_world(app) -> list[str]:
    """Three voters in general this week; returns their usernames."""
    with app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general", "coding"))
        general, models, prompts = world_ids(db.session)
        names = ["quietvoter", "busyvoter", "thirdvoter"]
        for count, voter in zip((1, 6, 2), people(db.session, *names), strict=True):
            add_votes(
                db.session,
                voter,
                count,
                datetime.now(UTC),
                community_id=general,
                models=models,
                prompt_id=prompts[0],
            )
        db.session.commit()
    return names


def test_the_api_answers_every_figure_and_no_names(app):
    names = voted_world(app)
    reply = app.test_client().get("/api/v1/communities/general/participation?weeks=4")
    assert reply.status_code == 200
    body = reply.get_json()
    assert set(body) == {
        "community",
        "weeks",
        "since",
        "by_week",
        "concentration",
        "languages",
        "topics",
        "models",
    }
    assert (body["community"], body["weeks"], len(body["by_week"])) == ("general", 4, 4)
    assert body["by_week"][-1]["voters"] == 3
    assert body["concentration"]["top_1_percent"] == {"voters": 1, "share": 6 / 9}
    assert body["models"] == [
        {"model": "Zephyrine 0", "votes": 9},
        {"model": "Zephyrine 1", "votes": 9},
    ]
    assert not any(name in reply.get_data(as_text=True) for name in names)
    default = app.test_client().get("/api/v1/communities/general/participation").get_json()
    assert default["weeks"] == participation.DEFAULT_WEEKS == len(default["by_week"])


@pytest.mark.parametrize(
    ("weeks", "message"),
    [
        ("0", "weeks must be at least 1."),
        ("105", "weeks must be at most 104."),
        ("-3", "weeks must be at least 1."),
        ("abc", "weeks must be a whole number."),
        ("1.5", "weeks must be a whole number."),
        ("9" * 40, "weeks must be"),
        ("1%00", "weeks contains a NUL character."),
    ],
)
def test_weeks_out_of_range_are_refused_with_400(app, weeks, message):
    voted_world(app)
    before = _vote_count(app)
    api = app.test_client().get(f"/api/v1/communities/general/participation?weeks={weeks}")
    assert api.status_code == 400 and api.get_json()["error"].startswith(message)
    page = app.test_client().get(f"/communities/general/participation?weeks={weeks}")
    assert page.status_code == 400 and "weeks" in page.get_data(as_text=True)
    assert _vote_count(app) == before


def _vote_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Vote))


def test_an_unknown_community_is_404(app):
    voted_world(app)
    assert app.test_client().get("/api/v1/communities/astrology/participation").status_code == 404
    assert app.test_client().get("/communities/astrology/participation").status_code == 404


def test_the_page_shows_charts_tables_and_no_names_and_is_linked(app):
    names = voted_world(app)
    client = app.test_client()
    community = client.get("/communities/general").get_data(as_text=True)
    assert 'href="/communities/general/participation"' in community
    reply = client.get("/communities/general/participation?weeks=26")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    for chart in ("weeks-chart", "languages-chart", "topics-chart", "models-chart"):
        assert f'<canvas id="{chart}" role="img"' in page
    assert "js/participation.js" in page and "vendor/chart.umd.min.js" in page
    weeks_table = page.split('id="people-per-week"')[1].split("</table>")[0]
    assert len(re.findall(r"<tr><th scope=\"row\"[^>]*>\d{4}-W\d\d", weeks_table)) == 26
    assert re.search(r"<td>3</td><td>0</td><td>0</td></tr>\s*</tbody>", weeks_table)
    concentration = page.split('id="concentration"')[1].split("</section>")[0]
    assert "66.7 %" in concentration  # the busiest of 3 voters cast 6 of 9 votes
    # The coding tab links to coding's participation page.
    assert 'href="/communities/coding/participation"' in page
    assert not any(name in page for name in names)


def a_guest(session) -> int:
    guest = User(username="~guest", password_hash="-", is_guest=True)
    session.add(guest)
    session.flush()
    return guest.id


def test_a_guests_votes_change_nothing_and_a_members_do(any_app):
    """An address may start guests by the dozen: they are not heard, members are."""
    with any_app.app_context():
        make_world(db.session, models=2, prompts=1, communities=("general",))
        general, models, prompts = world_ids(db.session)
        ann, bea = people(db.session, "ann", "bea")
        guest = a_guest(db.session)
        votes = {"community_id": general, "models": models, "prompt_id": prompts[0]}
        add_votes(db.session, ann, 2, NOW, **votes)
        db.session.commit()

        def figures():
            community = db.session.get(Community, general)
            return participation.participation(db.session, community, NOW, 4)

        before = figures()
        add_votes(db.session, guest, 20, NOW, **votes)
        add_votes(db.session, guest, 3, NOW, community_id=general, models=models, language="fr")
        db.session.commit()
        with_guest = figures()
        add_votes(db.session, bea, 1, NOW, **votes)
        db.session.commit()
        with_member = figures()
    assert with_guest == before
    assert (before["by_week"][-1]["voters"], with_member["by_week"][-1]["voters"]) == (1, 2)
    assert (before["concentration"]["votes"], with_member["concentration"]["votes"]) == (2, 3)
    assert with_member["models"][0]["votes"] == 3


def test_the_page_and_the_api_leave_guests_out(app):
    voted_world(app)
    with app.app_context():
        general, models, prompts = world_ids(db.session)
        add_votes(
            db.session,
            a_guest(db.session),
            30,
            datetime.now(UTC),
            community_id=general,
            models=models,
            prompt_id=prompts[0],
        )
        db.session.commit()
    client = app.test_client()
    body = client.get("/api/v1/communities/general/participation").get_json()
    assert body["by_week"][-1]["voters"] == 3 and body["concentration"]["votes"] == 9
    page = client.get("/communities/general/participation").get_data(as_text=True)
    assert "66.7 %" in page.split('id="concentration"')[1].split("</section>")[0]
