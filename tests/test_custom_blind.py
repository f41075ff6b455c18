"""Custom battles stay blind (issue #15): the pair is drawn among all live contestants, the page
says when too few can answer for a pair to be blind, and both answers are released in lockstep.

The models here are a FAKE backend: an OpenAI-compatible contestant whose `stream` is replaced by
a generator that sleeps between pieces. Real models (the bundled SmolLM2) are too slow to run the
dozens of asks these tests make, and their speed cannot be set; tests/test_custom_battles.py runs
the same paths on the real model. Nothing here opens a connection: the fake stands in for the
network call, and the base URL is a closed local port.
"""

import json
import re
import threading
import time

import pytest
from sqlalchemy import select

from arena.custom import battles as custom_battles
from arena.custom.backends import BackendError, openai_compatible, parse_catalogue
from arena.extensions import db
from arena.models import Battle, Community, Exposure, LanguageModel
from tests.conftest import api_client_for, build_app, sign_up
from tests.factories import make_world

# Distinctive names, so a leak cannot be mistaken for ordinary text.
NAMES = {"fern-alpha": "Quillon Alpha", "fern-beta": "Quillon Beta", "fern-gamma": "Quillon Gamma"}
ORGANIZATION = "Marshwick Lab"
SECRET_WORDS = [*NAMES, *NAMES.values(), ORGANIZATION, "fern-", "quillon", "marshwick"]


def catalogue_data(slugs) -> dict:
    return {
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": "http://127.0.0.1:9/v1",  # never reached: `stream` is replaced
                "timeout_seconds": 5,
                "max_retries": 0,
            }
        ],
        "models": [
            {
                "slug": slug,
                "name": NAMES[slug],
                "organization": ORGANIZATION,
                "backend": "fake",
                "backend_model": "fake-model",
                "communities": ["general"],
            }
            for slug in slugs
        ],
    }


class FakeBackend:
    """Per contestant slug: how many pieces it writes and the pause before each piece.
    Records when each piece was produced, so a test can compare release with production."""

    def __init__(self):
        self.speeds: dict[str, tuple[int, float]] = {}
        self.fail: dict[str, int] = {}  # slug -> fail after this many pieces
        self.produced: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def stream(self, config, messages, *, seed, deadline, progress):
        pieces, pause = self.speeds.get(config.slug, (3, 0.001))
        for number in range(pieces):
            if self.fail.get(config.slug) == number:
                raise BackendError("The model's server broke off the answer.")
            time.sleep(pause)
            with self._lock:
                self.produced.setdefault(config.slug, []).append(time.monotonic())
            yield f"w{number} "
        progress.completion_tokens = pieces
        progress.finish_reason = "stop"


@pytest.fixture
def fake(monkeypatch):
    backend = FakeBackend()
    monkeypatch.setattr(openai_compatible, "stream", backend.stream)

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to reach a model server")

    monkeypatch.setattr(openai_compatible, "client_for", no_network)
    return backend


def arena_app(tmp_path, slugs):
    path = tmp_path / "contestants.json"
    path.write_text(json.dumps(catalogue_data(slugs)))
    app = build_app(tmp_path, BACKENDS_FILE=str(path))
    with app.app_context():
        make_world(db.session, models=0, prompts=0, communities=("general", "coding"))
        db.session.add_all(
            LanguageModel(slug=slug, name=NAMES[slug], organization=ORGANIZATION) for slug in slugs
        )
        db.session.commit()
    return app


@pytest.fixture
def three(tmp_path, fake):
    app = arena_app(tmp_path, list(NAMES))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def two(tmp_path, fake):
    app = arena_app(tmp_path, ["fern-alpha", "fern-beta"])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def assert_no_identity(text: str) -> None:
    lowered = text.lower()
    for word in SECRET_WORDS:
        assert word.lower() not in lowered, f"{word!r} leaked before the vote"


def sse_events(body: str) -> list[tuple[str, dict]]:
    return [(n, json.loads(d)) for n, d in re.findall(r"event: (\w+)\ndata: (.*)\n\n", body)]


# -- the pair ------------------------------------------------------------------------------------


def test_pairs_are_drawn_among_all_contestants_whatever_their_counts(three):
    """Uniform over all pairs: even a contestant served far more often than the others is drawn
    (a least-served-first rule would never pick it, and would make the pair predictable)."""
    with three.app_context():
        ids = dict(db.session.execute(select(LanguageModel.slug, LanguageModel.id)).tuples().all())
        general = db.session.scalar(select(Community.id).where(Community.slug == "general"))
        db.session.add(Exposure(model_id=ids["fern-gamma"], community_id=general, battles=500))
        db.session.commit()
        catalogue = custom_battles.load_backends(three.config["BACKENDS_FILE"])
        moderation = custom_battles.load_moderation(three.config["MODERATION_FILE"])
        drawn = []
        for _ in range(90):
            contest = custom_battles.start(
                db.session,
                catalogue,
                moderation,
                voter_id=1,
                community_slug="general",
                prompt="Name a river.",
            )
            drawn.append((contest.configs["a"].slug, contest.configs["b"].slug))
    pairs = {frozenset(pair) for pair in drawn}
    assert pairs == {
        frozenset(p)
        for p in (
            ("fern-alpha", "fern-beta"),
            ("fern-alpha", "fern-gamma"),
            ("fern-beta", "fern-gamma"),
        )
    }, pairs
    assert len(set(drawn)) > len(pairs)  # and each side order occurs


def test_many_asks_cover_several_pairs_and_never_name_a_model_before_the_vote(three, fake):
    api = api_client_for(three, "asker")
    pairs, tokens = set(), []
    for number in range(12):
        reply = api.post(
            "/api/v1/battles", json={"prompt": f"Name a river ({number}).", "stream": True}
        )
        body = reply.get_data(as_text=True)
        assert reply.status_code == 200, body
        assert_no_identity(body)
        # No timing figure is sent before the vote either.
        assert "second" not in body and "latency" not in body
        (battle,) = [event for name, event in sse_events(body) if name == "battle"]
        tokens.append(battle["token"])
    with three.app_context():
        for token in tokens:
            battle = db.session.scalar(select(Battle).where(Battle.token == token))
            pairs.add(frozenset((battle.response_a.model.slug, battle.response_b.model.slug)))
    assert len(pairs) > 1, pairs
    revealed = api.vote(tokens[0], "a").get_json()["models"]
    assert set(revealed.values()) <= set(NAMES.values()) and len(set(revealed.values())) == 2


# -- the page says when the pair is not blind -----------------------------------------------------


def ask_form(app) -> str:
    client = app.test_client()
    assert sign_up(client, "looker").status_code == 302
    page = client.get("/arena?community=general")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def blindness_note(html: str) -> re.Match:
    return re.search(
        r'<p class="muted" id="ask-blindness" role="note" ?(hidden)?>([^<]*)</p>', html
    )


def test_with_two_contestants_the_page_says_the_pair_is_not_blind(two):
    html = ask_form(two)
    note = blindness_note(html)
    assert note and note.group(1) is None, "the note must be shown"
    assert "not blind" in note.group(2) and "same pair" in note.group(2)
    # Each community's option carries its own note, for when the asker switches community.
    assert re.search(r'value="general" data-blindness="[^"]*not blind', html)
    assert re.search(r'value="coding" data-blindness="Fewer than two models', html)
    assert_no_identity(html)


def test_with_three_contestants_the_page_has_no_such_note(three):
    html = ask_form(three)
    note = blindness_note(html)
    assert note and note.group(1) == "hidden" and not note.group(2).strip()
    assert "not blind" not in html.split('value="coding"')[0]


# -- lockstep -------------------------------------------------------------------------------------


def contest_of(fast_slug: str, slow_slug: str) -> custom_battles.Contest:
    catalogue = parse_catalogue(catalogue_data([fast_slug, slow_slug]))
    turn = [{"role": "user", "content": "Count."}]
    return custom_battles.Contest(
        token="t",
        voter_id=1,
        community_id=1,
        community_slug="general",
        configs={"a": catalogue.model(fast_slug), "b": catalogue.model(slow_slug)},
        histories={"a": list(turn), "b": list(turn)},
    )


def released(contest) -> list[tuple[float, str, str]]:
    events = []
    custom_battles.generate(
        contest, lambda side, text: events.append((time.monotonic(), side, text))
    )
    return events


def test_a_ten_times_faster_side_is_released_in_lockstep_with_the_slower(fake):
    fake.speeds = {"fern-alpha": (12, 0.004), "fern-beta": (12, 0.04)}  # a is 10x faster
    contest = contest_of("fern-alpha", "fern-beta")
    events = released(contest)
    sides = [side for _, side, _ in events]
    # Same number of events per side at every point: strictly a, b, a, b ...
    assert sides == ["a", "b"] * 12, sides
    # a's completion is not released before b has produced its last piece.
    last_a = max(t for t, side, _ in events if side == "a")
    assert last_a >= fake.produced["fern-beta"][-1]
    assert "".join(text for _, side, text in events if side == "a") == contest.answers["a"]
    # The real speeds are still measured, for the record shown after the vote.
    fast, slow = contest.stats["a"], contest.stats["b"]
    assert fast.tokens_per_second > 5 * slow.tokens_per_second


def test_the_faster_sides_rest_is_released_at_the_pairs_pace_not_at_once(fake):
    # a is fast and long, b slow and short: once b is done, a must not speed up (it would show
    # that a had been waiting for the slower side all along).
    fake.speeds = {"fern-alpha": (30, 0.004), "fern-beta": (6, 0.04)}
    contest = contest_of("fern-alpha", "fern-beta")
    events = released(contest)
    sides = [side for _, side, _ in events]
    assert sides == ["a", "b"] * 6 + ["a"] * 24, sides
    rounds = [t for t, side, _ in events if side == "b"]
    pace = (rounds[-1] - rounds[0]) / (len(rounds) - 1)
    tail = [rounds[-1]] + [t for t, _, _ in events[12:]]
    gaps = [later - earlier for earlier, later in zip(tail, tail[1:], strict=False)]
    assert min(gaps) >= 0.8 * pace, (pace, gaps)
    # ... although a had written everything long before.
    assert fake.produced["fern-alpha"][-1] < rounds[-1]


def test_a_failing_side_stops_both_and_releases_nothing_more(fake):
    fake.speeds = {"fern-alpha": (200, 0.02), "fern-beta": (200, 0.002)}
    fake.fail = {"fern-beta": 3}
    contest = contest_of("fern-alpha", "fern-beta")
    events = []
    started = time.monotonic()
    with pytest.raises(BackendError):
        custom_battles.generate(contest, lambda side, text: events.append(side))
    assert time.monotonic() - started < 2  # the other side (4 s of work) was stopped
    assert len(events) <= 6 and events.count("a") - events.count("b") in (0, 1)


def test_streamed_events_of_the_api_are_in_lockstep(three, fake):
    fake.speeds = {
        "fern-alpha": (10, 0.003),  # ten times faster than the other two
        "fern-beta": (10, 0.03),
        "fern-gamma": (10, 0.03),
    }
    api = api_client_for(three, "streamer")
    body = api.post("/api/v1/battles", json={"prompt": "Hi", "stream": True}).get_data(as_text=True)
    chunks = [e["side"] for n, e in sse_events(body) if n == "chunk"]
    assert chunks == ["a", "b"] * 10, chunks
    assert_no_identity(body)
