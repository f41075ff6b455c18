"""The yardstick of bench/bench_vote_cycle.py: a bare serve + vote + TrueSkill cycle.

A Flask app on raw sqlite3 (WAL, one connection per thread, BEGIN IMMEDIATE for writes) with
its own tiny schema: `GET /battle` serves a random pair of answers to one prompt and stores the
battle; `POST /battles/<token>/vote {"choice": ...}` marks the battle voted, records the vote
and updates the two models' rating rows with TrueSkill. No accounts, points, badges, events.

    python bench/bare_arena.py seed PATH [--models 8] [--prompts 200]
    BARE_ARENA_DB=PATH gunicorn --pythonpath bench ... bare_arena:app
"""

import argparse
import os
import random
import secrets
import sqlite3
import threading

import trueskill
from flask import Flask, abort, jsonify, request

SCHEMA = """
CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE prompts (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE responses (id INTEGER PRIMARY KEY, prompt_id INTEGER NOT NULL REFERENCES prompts,
    model_id INTEGER NOT NULL REFERENCES models, text TEXT NOT NULL);
CREATE INDEX ix_responses_prompt ON responses (prompt_id);
CREATE TABLE battles (id INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, voter INTEGER NOT NULL,
    prompt_id INTEGER NOT NULL, response_a_id INTEGER NOT NULL, response_b_id INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open');
CREATE TABLE votes (id INTEGER PRIMARY KEY, battle_id INTEGER UNIQUE NOT NULL REFERENCES battles,
    model_a_id INTEGER NOT NULL, model_b_id INTEGER NOT NULL, choice TEXT NOT NULL);
CREATE TABLE ratings (model_id INTEGER PRIMARY KEY REFERENCES models, mu REAL NOT NULL,
    sigma REAL NOT NULL, votes INTEGER NOT NULL DEFAULT 0);
"""
ENVIRONMENT = trueskill.TrueSkill()


def seed(path: str, models: int = 8, prompts: int = 200) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        connection.executemany(
            "INSERT INTO models (id, name) VALUES (?, ?)",
            [(m, f"model-{m}") for m in range(1, models + 1)],
        )
        connection.executemany(
            "INSERT INTO ratings (model_id, mu, sigma) VALUES (?, ?, ?)",
            [(m, ENVIRONMENT.mu, ENVIRONMENT.sigma) for m in range(1, models + 1)],
        )
        connection.executemany(
            "INSERT INTO prompts (id, text) VALUES (?, ?)",
            [(p, f"Prompt {p}: explain something. " * 8) for p in range(1, prompts + 1)],
        )
        connection.executemany(
            "INSERT INTO responses (prompt_id, model_id, text) VALUES (?, ?, ?)",
            [
                (p, m, f"Answer of model {m} to prompt {p}. " * 40)
                for p in range(1, prompts + 1)
                for m in range(1, models + 1)
            ],
        )


app = Flask(__name__)
_local = threading.local()


def connection() -> sqlite3.Connection:
    if not hasattr(_local, "connection"):
        db = sqlite3.connect(os.environ["BARE_ARENA_DB"], isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            db.execute(f"PRAGMA {pragma}")
        _local.connection = db
    return _local.connection


@app.get("/")
def home():
    return "bare arena"


@app.get("/battle")
def serve():
    voter = int(request.headers.get("X-Voter", "0"))
    db = connection()
    prompt_count = db.execute("SELECT count(*) FROM prompts").fetchone()[0]
    prompt_id = random.randint(1, prompt_count)
    (a_id, a_text), (b_id, b_text) = db.execute(
        "SELECT id, text FROM responses WHERE prompt_id = ? ORDER BY random() LIMIT 2", (prompt_id,)
    ).fetchall()
    token = secrets.token_urlsafe(24)
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "INSERT INTO battles (token, voter, prompt_id, response_a_id, response_b_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (token, voter, prompt_id, a_id, b_id),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return jsonify(token=token, responses={"a": a_text, "b": b_text}), 201


@app.post("/battles/<token>/vote")
def vote(token: str):
    voter = int(request.headers.get("X-Voter", "0"))
    choice = (request.get_json(silent=True) or {}).get("choice")
    if choice not in ("a", "b", "tie", "both_bad"):
        abort(400)
    db = connection()
    db.execute("BEGIN IMMEDIATE")
    try:
        battle = db.execute(
            "UPDATE battles SET status = 'voted' WHERE token = ? AND voter = ? AND status = 'open'"
            " RETURNING id, response_a_id, response_b_id",
            (token, voter),
        ).fetchone()
        if battle is None:
            abort(409)
        battle_id, response_a, response_b = battle
        models = dict(
            db.execute(
                "SELECT r.id, m.id FROM responses r JOIN models m ON m.id = r.model_id"
                " WHERE r.id IN (?, ?)",
                (response_a, response_b),
            ).fetchall()
        )
        model_a, model_b = models[response_a], models[response_b]
        rows = dict(
            (model, (mu, sigma))
            for model, mu, sigma in db.execute(
                "SELECT model_id, mu, sigma FROM ratings WHERE model_id IN (?, ?)",
                (model_a, model_b),
            )
        )
        rating_a = ENVIRONMENT.create_rating(*rows[model_a])
        rating_b = ENVIRONMENT.create_rating(*rows[model_b])
        if choice == "b":
            new_b, new_a = ENVIRONMENT.rate_1vs1(rating_b, rating_a)
        else:
            new_a, new_b = ENVIRONMENT.rate_1vs1(rating_a, rating_b, drawn=choice != "a")
        db.executemany(
            "UPDATE ratings SET mu = ?, sigma = ?, votes = votes + 1 WHERE model_id = ?",
            [(new_a.mu, new_a.sigma, model_a), (new_b.mu, new_b.sigma, model_b)],
        )
        db.execute(
            "INSERT INTO votes (battle_id, model_a_id, model_b_id, choice) VALUES (?, ?, ?, ?)",
            (battle_id, model_a, model_b, choice),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return jsonify(
        token=token, choice=choice, models={"a": f"model-{model_a}", "b": f"model-{model_b}"}
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("path")
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--prompts", type=int, default=200)
    arguments = parser.parse_args()
    seed(arguments.path, arguments.models, arguments.prompts)
