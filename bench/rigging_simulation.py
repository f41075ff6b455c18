"""Rigging simulation (issue #15): how far can a bloc of accounts move a mid-table model on the
published board, with the site's defences and without them?

Everything runs through the site's own code on a fresh, migrated SQLite database: battles are
served by `battles.serve_battle` (whatever pairing is in `arena/voting/pairing.py`, with the
known-answer checks of `arena/voting/checks.py`), votes are cast by `battles.cast_vote` and
skips recorded by `battles.skip_battle` under a `trust.Policy` (probation, checks, daily caps),
the integrity scan `arena.integrity.scan.run` runs once at the end as the cron would, and the
published board is `boards.pair_counts(BoardKey(community=...))` (counted votes, flagged
voters weighted, share cap) fitted by `bradley_terry.board`.

The world (per seed): 10 models with true Elo strengths drawn from N(1000, 125); 40 prompts in
one community, every model answers every prompt; on 20 of the prompts, 3 imported votes all for
the stronger model of a pair at least 200 Elo apart (the target never in it): the pool of
known-answer checks. The target is the model of true rank 6 of 10.

Honest voters (200): served --honest-battles battles each (default 30), at a human pace (15 s
plus an exponential 75 s between votes, a break of 1 to 24 hours after 10 % of them, starting
at a random moment of a 14-day window). They skip 5 % at random, tie 15 % of the time (a third
of those "both bad"), else vote per Bradley–Terry on the true strengths. A check pair is
obvious: they pick its imported majority 90 % of the time, else vote as on any battle.

Attackers (blocs of 5, 20 and 50 accounts): the strongest reasonable attacker. It knows every
check's answer (imported answers and their votes are public) and always passes; it votes at
the same human pace (no burst flags); while an account is on probation it votes honestly on
every battle (the cheapest way out of probation: its votes there count for nothing anyway);
after that each account is served --attack-battles battles (default: 60, a busy account,
and 25, a light one that stays under the detectors' 8-vote minimum) and plays one of:

- target-only: vote for the target whenever it is on a side, skip every other battle. (The
  brief's "skip rigger" that skips battles without the target and votes for it when shown is
  the same strategy as seen by the site: an unvoted battle is a skip, pressed or expired.)
- skip (censoring): never cast a dishonest vote; vote honestly on every battle, but skip
  every battle showing the target on which the honest verdict is not a win for the target.
- omni-0.7 / omni-0.9 ("omnipresent"): vote on every battle; a style classifier labels each
  of the two answers "target" or "not target", right with probability p for each answer
  independently; if exactly one side is labelled "target" vote for it, else vote honestly.

Without defences (--no-defences arm): the policy of tests/data/integrity_open.json
(no probation, no checks, no share cap, no caps), no integrity scan, and the board of every
vote (trust "all"). Attackers then rig from their first battle.

Measured per seed and bloc: the target's rank on the published board (1 = best, by score)
without attackers and with them, on the same honest votes (the honest world is built once per
seed and arm and copied for every attack; attackers vote after it, so pairing and ratings see
the honest log first), and the rank move; the CI-aware rank the site publishes as well; the
attackers' votes, votes per rank gained, and the days the bloc needs under the daily caps
(100 votes per account and community per day). The bloc of 20 is the bloc of 5 plus 15 more
accounts, the bloc of 50 the bloc of 20 plus 30 more (boards and scans are taken between).

Runtime: about 9 minutes per seed on one core (the defaults; 2,238 s for 4 seeds). Results and
their reading: bench/RIGGING_RESULTS.md. Exact commands:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/rigging_simulation.py --seeds 4
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/rigging_simulation.py --seeds 4 --json \
        > rigging.json
"""

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
DEFENDED_FILE = ROOT / "seeds" / "integrity.json"
OPEN_FILE = ROOT / "tests" / "data" / "integrity_open.json"
# The published board reads the share cap from the default policy: the site's shipped rules.
os.environ.setdefault("ARENA_INTEGRITY_FILE", str(DEFENDED_FILE))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from arena import MIGRATIONS_DIR, create_app  # noqa: E402
from arena.core.db import unit_of_work  # noqa: E402
from arena.core.errors import TooManyVotes  # noqa: E402
from arena.extensions import db  # noqa: E402
from arena.integrity import scan  # noqa: E402
from arena.models import (  # noqa: E402
    Community,
    LanguageModel,
    Prompt,
    Response,
    User,
    Vote,
    VoterWeight,
)
from arena.voting import battles, boards, bradley_terry, checks, trust  # noqa: E402
from arena.voting.selection import BoardKey  # noqa: E402

COMMUNITY = "general"
MODELS, PROMPTS, CHECK_PROMPTS, IMPORTED_PER_CHECK = 10, 40, 20, 3
SPREAD = 125.0
TARGET_TRUE_RANK = 6
CHECK_MIN_GAP = 200.0
TIE_RATE, BOTH_BAD_SHARE, SKIP_RATE, CHECK_PASS = 0.15, 1 / 3, 0.05, 0.9
WINDOW_DAYS = 14
START = datetime(2025, 3, 3, tzinfo=UTC)
KINDS = ("target-only", "skip", "omni-0.7", "omni-0.9")
BLOCS = (5, 20, 50)
FAKE_HASH = "simulated-account-no-login"


# -- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    seed: int
    strengths: dict[int, float]  # model id -> true Elo
    names: dict[int, str]
    model_of: dict[int, int]  # response id -> model id
    target: int  # model id

    @property
    def target_name(self) -> str:
        return self.names[self.target]


@dataclass
class Arm:
    """One side of the comparison: the policy votes are cast under and how the board is read."""

    name: str
    policy: trust.Policy
    defended: bool


def arms() -> list[Arm]:
    return [
        Arm("defended", trust.load_policy(DEFENDED_FILE), True),
        Arm("open", trust.load_policy(OPEN_FILE), False),
    ]


_template: Path | None = None


def app_config(folder: Path, path: Path) -> dict:
    return {
        "TESTING": True,
        "INSTANCE_DIR": str(folder / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": "rigging-simulation",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "INTEGRITY_SCAN_MINUTES": 0,  # the scan runs once at the end, as a cron would
    }


def open_app(folder: Path, path: Path):
    return create_app(app_config(folder, path))


def migrated_template(folder: Path) -> Path:
    """An empty database migrated once per process; each world starts from a copy."""
    global _template
    if _template is None or not _template.exists():
        path = folder / "template.sqlite3"
        app = open_app(folder, path)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            db.session.remove()
            db.engine.dispose()
        _template = path
    return _template


def build_world(session, seed: int, models: int = MODELS, prompts: int = PROMPTS) -> World:
    rng = np.random.default_rng(seed)
    truth = rng.normal(1000, SPREAD, models)
    community = Community(slug=COMMUNITY, name="General", description="Simulated.")
    session.add(community)
    rows = [
        LanguageModel(slug=f"model-{n:02d}", name=f"Model {n:02d}", organization=f"Lab {n}")
        for n in range(models)
    ]
    session.add_all(rows)
    prompt_rows = []
    for number in range(prompts):
        prompt = Prompt(
            community=community,
            origin="seed:simulation",
            external_id=f"sim:{number}",
            text=f"Question {number}: explain recursion.",
        )
        session.add(prompt)
        prompt_rows.append(prompt)
        for model in rows:
            session.add(
                Response(prompt=prompt, model=model, text=f"Answer {number} of {model.name}")
            )
    session.flush()
    strengths = {model.id: float(score) for model, score in zip(rows, truth, strict=True)}
    ranked = sorted(strengths, key=strengths.get, reverse=True)
    target = ranked[min(TARGET_TRUE_RANK, models) - 1]
    # Known-answer checks: unanimous imported votes on clear pairs, the target never in one.
    clear = [
        (a, b)
        for a in ranked
        for b in ranked
        if a != target and b != target and strengths[a] - strengths[b] >= CHECK_MIN_GAP
    ]
    for number, prompt in enumerate(prompt_rows[: min(CHECK_PROMPTS, prompts // 2)]):
        winner, loser = clear[int(rng.integers(len(clear)))]
        for vote in range(IMPORTED_PER_CHECK):
            session.add(
                Vote(
                    community_id=community.id,
                    prompt_id=prompt.id,
                    model_a_id=winner,
                    model_b_id=loser,
                    choice="a",
                    origin="import:simulation",
                    external_id=f"sim-import:{number}:{vote}",
                )
            )
    session.commit()
    model_of = dict(session.execute(select(Response.id, Response.model_id)).tuples().all())
    names = {model.id: model.name for model in rows}
    return World(seed, strengths, names, model_of, target)


def add_accounts(session, prefix: str, count: int) -> list[int]:
    """Accounts inserted directly (hashing a password per account would dominate the run)."""
    users = [User(username=f"{prefix}{n}", password_hash=FAKE_HASH) for n in range(count)]
    with unit_of_work(session):
        session.add_all(users)
    return [user.id for user in users]


# -- voters --------------------------------------------------------------------------------------


class Clock:
    """A voter's own time: a human pace with breaks, and the next morning after a daily cap."""

    def __init__(self, rng: np.random.Generator, start: datetime):
        self.rng, self.now = rng, start

    def tick(self) -> datetime:
        gap = 15 + self.rng.exponential(75)
        if self.rng.random() < 0.1:
            gap += self.rng.uniform(3_600, 86_400)
        self.now += timedelta(seconds=float(gap))
        return self.now

    def next_day(self) -> datetime:
        midnight = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.now = midnight + timedelta(days=1, hours=float(self.rng.uniform(7, 10)))
        return self.now


def honest_choice(rng: np.random.Generator, world: World, a: int, b: int) -> str:
    if rng.random() < TIE_RATE:
        return "both_bad" if rng.random() < BOTH_BAD_SHARE else "tie"
    p = bradley_terry.win_probability(world.strengths[a], world.strengths[b])
    return "a" if rng.random() < (p - TIE_RATE / 2) / (1 - TIE_RATE) else "b"


@dataclass
class Seen:
    """A served battle as the voter sees it (the expected side only if it is a check, which
    only the attacker can tell, by looking the answers up)."""

    token: str
    a: int  # model ids
    b: int
    expected: str | None


def decide(kind: str, rng, world: World, seen: Seen, rigging: bool) -> str:
    """'a', 'b', 'tie', 'both_bad' or 'skip'."""
    if kind == "honest":
        if seen.expected is not None and rng.random() < CHECK_PASS:
            return seen.expected
        return "skip" if rng.random() < SKIP_RATE else honest_choice(rng, world, seen.a, seen.b)
    if seen.expected is not None:  # the attacker looks the check up
        return seen.expected
    honest = honest_choice(rng, world, seen.a, seen.b)
    if not rigging:
        return honest
    target = world.target
    shown = target in (seen.a, seen.b)
    target_side = ("a" if seen.a == target else "b") if shown else None
    if kind == "target-only":
        return target_side if shown else "skip"
    if kind == "skip":
        return honest if not shown or honest == target_side else "skip"
    if kind.startswith("omni-"):
        accuracy = float(kind.removeprefix("omni-"))
        labels = [
            (model == target) == (rng.random() < accuracy) for model in (seen.a, seen.b)
        ]  # True: labelled "target"
        if labels[0] != labels[1]:
            return "a" if labels[0] else "b"
        return honest
    raise ValueError(kind)


@dataclass
class Tally:
    served: int = 0
    votes: int = 0
    skips: int = 0
    showing_target: int = 0  # votes on battles showing the target
    for_target: int = 0
    refused: int = 0  # votes refused by a daily cap (retried the next day)
    days: set = field(default_factory=set)

    def add(self, other: "Tally") -> None:
        for name in ("served", "votes", "skips", "showing_target", "for_target", "refused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.days |= other.days


def play(
    session,
    world: World,
    arm: Arm,
    voter: int,
    kind: str,
    rng,
    clock: Clock,
    battles_after_probation: int,
    max_battles: int = 1_000,
) -> Tally:
    """Serve battles to one account and act on them: honest voters for their whole budget,
    attackers honestly while on probation and then by their strategy."""
    tally = Tally()
    rigged = 0
    while rigged < battles_after_probation and tally.served < max_battles:
        counted = trust.standing(session, voter, arm.policy) == trust.COUNTED
        rigging = kind != "honest" and counted
        with unit_of_work(session):
            battle = battles.serve_battle(session, voter, COMMUNITY, policy=arm.policy)
            seen = Seen(
                battle.token,
                world.model_of[battle.response_a_id],
                world.model_of[battle.response_b_id],
                battle.expected,
            )
        tally.served += 1
        if kind == "honest" or counted:
            rigged += 1
        choice = decide(kind, rng, world, seen, rigging)
        at = clock.tick()
        if choice == "skip":
            with unit_of_work(session):
                battles.skip_battle(session, voter, seen.token, at=at)
            tally.skips += 1
            continue
        while True:
            try:
                with unit_of_work(session):
                    battles.cast_vote(session, voter, seen.token, choice, at=at, policy=arm.policy)
                break
            except TooManyVotes:
                tally.refused += 1
                at = clock.next_day()
        tally.votes += 1
        tally.days.add(at.date())
        if world.target in (seen.a, seen.b):
            tally.showing_target += 1
            side = "a" if seen.a == world.target else "b"
            tally.for_target += choice == side
    return tally


def start_time(rng) -> datetime:
    return START + timedelta(seconds=float(rng.uniform(0, WINDOW_DAYS * 86_400)))


# -- boards --------------------------------------------------------------------------------------


@dataclass
class Reading:
    rank: int  # by score, 1 = best
    ci_rank: int  # as published: 1 + models surely better
    score: float  # Elo, board mean 1000
    flagged: int  # accounts weighted below 1 by the scan (all voters)
    excluded: int  # accounts at weight 0


def read_board(session, world: World, arm: Arm, now: datetime, rounds: int = 100) -> Reading:
    """The target on the board the arm publishes: with defences, after an integrity scan."""
    if arm.defended:
        with unit_of_work(session):
            scan.run(session, now)
        key = BoardKey(community=COMMUNITY)
    else:
        key = BoardKey(community=COMMUNITY, trust="all")
    counts = boards.pair_counts(session, key)
    board = bradley_terry.board(counts, rounds=rounds, seed=0)
    rows = board.rows()
    position = [row["model"] for row in rows].index(world.target_name)
    weights = session.scalars(select(VoterWeight.weight)).all() if arm.defended else []
    return Reading(
        rank=position + 1,
        ci_rank=rows[position]["rank"],
        score=rows[position]["score"],
        flagged=len(weights),
        excluded=sum(w == 0 for w in weights),
    )


def weights_of(session, voters: list[int]) -> list[float]:
    found = dict(
        session.execute(
            select(VoterWeight.voter_id, VoterWeight.weight).where(VoterWeight.voter_id.in_(voters))
        )
        .tuples()
        .all()
    )
    return [found.get(voter, 1.0) for voter in voters]


# -- one seed ------------------------------------------------------------------------------------


@dataclass
class Config:
    honest: int = 200
    honest_battles: int = 30
    attack_battles: tuple[int, ...] = (60, 25)
    blocs: tuple[int, ...] = BLOCS
    kinds: tuple[str, ...] = KINDS
    models: int = MODELS
    prompts: int = PROMPTS
    rounds: int = 100


def run_seed(
    seed: int, config: Config, workdir: Path, arm_names=("defended", "open"), log=print
) -> list[dict]:
    """Every kind × bloc × arm on one seed's world; one row per (arm, kind, bloc)."""
    rows = []
    for arm in [a for a in arms() if a.name in arm_names]:
        started = time.perf_counter()
        base = workdir / f"seed{seed}-{arm.name}.sqlite3"
        shutil.copyfile(migrated_template(workdir), base)
        checks.clear_cache()
        app = open_app(workdir, base)
        with app.app_context():
            session = db.session
            world = build_world(session, seed, config.models, config.prompts)
            rng = np.random.default_rng([seed, 1])
            honest = add_accounts(session, "honest", config.honest)
            end = START
            for voter in honest:
                clock = Clock(rng, start_time(rng))
                play(session, world, arm, voter, "honest", rng, clock, config.honest_battles)
                end = max(end, clock.now)
            baseline = read_board(session, world, arm, end, config.rounds)
            honest_votes = session.scalar(select(func.count()).where(Vote.origin == "arena"))
            db.session.remove()
            db.engine.dispose()
        log(
            f"seed {seed} {arm.name}: honest world {honest_votes} votes, target "
            f"{world.target_name} true rank {TARGET_TRUE_RANK}, board rank {baseline.rank} "
            f"(CI rank {baseline.ci_rank}), {baseline.flagged} honest voters flagged "
            f"[{time.perf_counter() - started:.0f} s]"
        )
        for budget, kind in [(b, k) for b in config.attack_battles for k in config.kinds]:
            started = time.perf_counter()
            attacked = workdir / f"seed{seed}-{arm.name}-{kind}-{budget}.sqlite3"
            shutil.copyfile(base, attacked)
            checks.clear_cache()
            app = open_app(workdir, attacked)
            with app.app_context():
                session = db.session
                krng = np.random.default_rng([seed, 2, budget, KINDS.index(kind)])
                accounts, total = [], Tally()
                last = end
                for bloc in sorted(config.blocs):
                    new = add_accounts(session, f"{kind}-{bloc}-", bloc - len(accounts))
                    for voter in new:
                        clock = Clock(krng, start_time(krng))
                        total.add(play(session, world, arm, voter, kind, krng, clock, budget))
                        last = max(last, clock.now)
                    accounts += new
                    reading = read_board(session, world, arm, max(last, end), config.rounds)
                    weights = weights_of(session, accounts) if arm.defended else []
                    rows.append(
                        _row(
                            seed,
                            arm,
                            kind,
                            budget,
                            bloc,
                            world,
                            baseline,
                            reading,
                            total,
                            weights,
                            config,
                        )
                    )
                    log(_describe(rows[-1]))
                db.session.remove()
                db.engine.dispose()
            attacked.unlink()
            log(f"  [{kind}, {budget} battles: {time.perf_counter() - started:.0f} s]")
        base.unlink()
    return rows


def _row(seed, arm, kind, budget, bloc, world, baseline, reading, total: Tally, weights, config):
    gain = baseline.rank - reading.rank
    days_per_account = max(1, -(-round(total.votes / bloc) // 100))  # the 100/community/day cap
    return {
        "seed": seed,
        "arm": arm.name,
        "kind": kind,
        "attack_battles": budget,
        "bloc": bloc,
        "honest": config.honest,
        "target": world.target_name,
        "rank_before": baseline.rank,
        "rank_after": reading.rank,
        "rank_gain": gain,
        "ci_rank_before": baseline.ci_rank,
        "ci_rank_after": reading.ci_rank,
        "ci_rank_gain": baseline.ci_rank - reading.ci_rank,
        "score_gain": round(reading.score - baseline.score, 1),
        "attacker_votes": total.votes,
        "attacker_skips": total.skips,
        "votes_showing_target": total.showing_target,
        "votes_for_target": total.for_target,
        "votes_per_rank": round(total.votes / gain, 1) if gain > 0 else None,
        "days_under_caps": days_per_account,
        "refused_by_caps": total.refused,
        "attackers_weighted_0": sum(w == 0 for w in weights),
        "attackers_weighted_half": sum(0 < w < 1 for w in weights),
        "honest_flagged": reading.flagged - sum(w < 1 for w in weights) if arm.defended else 0,
        "baseline_honest_flagged": baseline.flagged,
    }


def _describe(row: dict) -> str:
    caught = (
        f", attackers at weight 0: {row['attackers_weighted_0']}, at 0.5: "
        f"{row['attackers_weighted_half']}, honest flagged {row['honest_flagged']}"
        if row["arm"] == "defended"
        else ""
    )
    return (
        f"  {row['arm']:8} {row['kind']:11} x{row['attack_battles']:<3} bloc {row['bloc']:2}: "
        f"rank {row['rank_before']} -> "
        f"{row['rank_after']} ({row['rank_gain']:+d}; CI rank {row['ci_rank_before']} -> "
        f"{row['ci_rank_after']}), score {row['score_gain']:+.0f}, "
        f"{row['attacker_votes']} votes ({row['votes_for_target']} for the target){caught}"
    )


# -- summary -------------------------------------------------------------------------------------


def summarise(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (-row["attack_battles"], KINDS.index(row["kind"]), row["bloc"], row["arm"])
        groups.setdefault(key, []).append(row)
    summary = []
    for (budget, kind_index, bloc, arm), group in sorted(groups.items()):
        kind, budget = KINDS[kind_index], -budget
        gains = [r["rank_gain"] for r in group]
        votes = [r["attacker_votes"] for r in group]
        total_gain = sum(max(g, 0) for g in gains)
        summary.append(
            {
                "kind": kind,
                "attack_battles": budget,
                "bloc": bloc,
                "arm": arm,
                "seeds": len(group),
                "rank_gain_median": statistics.median(gains),
                "rank_gain_range": [min(gains), max(gains)],
                "ci_rank_gain_median": statistics.median(r["ci_rank_gain"] for r in group),
                "score_gain_median": statistics.median(r["score_gain"] for r in group),
                "attacker_votes_median": statistics.median(votes),
                "votes_for_target_median": statistics.median(r["votes_for_target"] for r in group),
                "votes_per_rank_pooled": round(sum(votes) / total_gain) if total_gain else None,
                "days_under_caps": max(r["days_under_caps"] for r in group),
                "attackers_weighted_0_median": statistics.median(
                    r["attackers_weighted_0"] for r in group
                ),
                "attackers_weighted_half_median": statistics.median(
                    r["attackers_weighted_half"] for r in group
                ),
                "honest_flagged_median": statistics.median(r["honest_flagged"] for r in group),
            }
        )
    return summary


def table(summary: list[dict]) -> str:
    lines = [
        "| attack | battles / account | bloc | defences | rank gain: median [range] "
        "| CI-rank gain | score gain "
        "| attacker votes (for target) | votes per rank | attackers at weight 0 / 0.5 |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for s in summary:
        low, high = s["rank_gain_range"]
        caught = (
            f"{s['attackers_weighted_0_median']:g} / {s['attackers_weighted_half_median']:g}"
            if s["arm"] == "defended"
            else "n/a"
        )
        per_rank = s["votes_per_rank_pooled"]
        lines.append(
            f"| {s['kind']} | {s['attack_battles']} | {s['bloc']} "
            f"| {'on' if s['arm'] == 'defended' else 'off'} "
            f"| {s['rank_gain_median']:+g} [{low:+d}, {high:+d}] | {s['ci_rank_gain_median']:+g} "
            f"| {s['score_gain_median']:+.0f} | {s['attacker_votes_median']:g} "
            f"({s['votes_for_target_median']:g}) | {per_rank if per_rank else '—'} | {caught} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--honest", type=int, default=200)
    parser.add_argument("--honest-battles", type=int, default=30)
    parser.add_argument("--attack-battles", type=int, nargs="+", default=[60, 25])
    parser.add_argument("--blocs", type=int, nargs="+", default=list(BLOCS))
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument(
        "--arms", nargs="+", default=["defended", "open"], choices=["defended", "open"]
    )
    parser.add_argument("--json", action="store_true", help="print the rows and summary as JSON")
    args = parser.parse_args()
    config = Config(
        honest=args.honest,
        honest_battles=args.honest_battles,
        attack_battles=tuple(args.attack_battles),
        blocs=tuple(args.blocs),
        kinds=tuple(args.kinds),
    )
    log = (lambda text: print(text, file=sys.stderr, flush=True)) if args.json else print
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="rigging-") as folder:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rows += run_seed(seed, config, Path(folder), tuple(args.arms), log)
    summary = summarise(rows)
    elapsed = round(time.perf_counter() - started)
    if args.json:
        print(
            json.dumps(
                {
                    "config": dataclasses.asdict(config),
                    "seconds": elapsed,
                    "summary": summary,
                    "rows": rows,
                },
                indent=1,
            )
        )
    else:
        print(table(summary))
        print(f"{len(rows)} rows, {elapsed} s")


if __name__ == "__main__":
    main()
