"""Leaderboard events over Socket.IO: pushed after a vote, never naming models of open battles."""

import json

from arena.extensions import socketio


def received(socket_client) -> list[dict]:
    return socket_client.get_received()


def test_a_vote_pushes_a_leaderboard_event_to_watchers(app, api, world):
    watcher = socketio.test_client(app)
    assert watcher.is_connected()
    battle = api.battle("coding")
    assert received(watcher) == []  # serving a battle tells watchers nothing
    api.vote(battle["token"], "a")
    events = received(watcher)
    assert [event["name"] for event in events] == ["leaderboard_changed"]
    assert events[0]["args"] == [{"scopes": ["overall", "coding"]}]


def test_events_never_name_models(app, api, world):
    watcher = socketio.test_client(app)
    open_battle = api.battle()
    for _ in range(5):
        api.vote(api.battle()["token"], "tie")
    payload = json.dumps(received(watcher)).lower()
    for _, slug, name in world["models"]:
        assert slug not in payload and name.lower() not in payload
    assert open_battle["token"] not in payload
