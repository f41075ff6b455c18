"""Socket.IO: public board events for everyone, points and badges only for their owner."""

import json
import re

from arena.extensions import socketio
from tests.conftest import csrf_token, sign_up


def names(events) -> list[str]:
    return [event["name"] for event in events]


def logged_in(app, username):
    client = app.test_client()
    assert sign_up(client, username).status_code == 302
    return client


def vote_in_page(client, choice="a", community="general") -> str:
    page = client.get(f"/arena?community={community}").get_data(as_text=True)
    token = re.search(r'action="/arena/([^/]+)/vote"', page).group(1)
    reply = client.post(
        f"/arena/{token}/vote", data={"choice": choice, "csrf_token": csrf_token(client, "/")}
    )
    assert reply.status_code == 302
    return token


def test_a_vote_pushes_board_events_to_watchers_of_that_scope(app, api, world):
    overall = socketio.test_client(app)
    coding = socketio.test_client(app, auth={"scope": "coding"})
    general = socketio.test_client(app, auth={"scope": "general"})
    battle = api.battle("coding")
    assert overall.get_received() == []  # serving a battle tells watchers nothing
    api.vote(battle["token"], "a")
    # The test world's models were there before the voter joined: no discovery, one badge.
    activity = [
        {
            "text": "Someone earned the bronze badge First Vote.",
            "template": "Someone earned the %(tier)s badge %(name)s.",
            "values": {"tier": "bronze", "name": "First Vote"},
        }
    ]
    for watcher in (overall, coding):
        events = watcher.get_received()
        assert names(events) == ["leaderboard_changed", "activity", "people_changed"]
        assert events[0]["args"] == [{"scopes": ["overall", "coding"]}]
        assert [e["args"][0] for e in events[1:2]] == activity
    assert names(general.get_received()) == ["activity"]


def test_unknown_scope_is_refused(app, world):
    assert not socketio.test_client(app, auth={"scope": "astrology"}).is_connected()


def test_points_and_badges_reach_only_their_owner(app, world):
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob")
    alice_socket = socketio.test_client(app, flask_test_client=alice)
    bob_socket = socketio.test_client(app, flask_test_client=bob)
    anonymous = socketio.test_client(app)
    vote_in_page(alice)

    received = alice_socket.get_received()
    points = [e["args"][0] for e in received if e["name"] == "points"]
    # 1 for the vote (the models were there before alice joined: no discovery).
    assert points == [{"delta": 1, "points": 1, "points_this_week": 1}]
    awarded = [e["args"][0] for e in received if e["name"] == "badge_awarded"]
    assert [(b["name"], b["tier"]) for b in awarded] == [("First Vote", "bronze")]
    for other in (bob_socket, anonymous):
        assert not {"points", "badge_awarded"} & set(names(other.get_received()))


def test_events_never_name_models_or_people(app, api, world):
    watcher = socketio.test_client(app)
    open_battle = api.battle()
    for _ in range(5):
        api.vote(api.battle()["token"], "tie")
    payload = json.dumps(watcher.get_received()).lower()
    for _, slug, name in world["models"]:
        assert slug not in payload and name.lower() not in payload
    assert open_battle["token"] not in payload
    assert "voter" not in payload  # the activity feed is anonymous
