"""Gamification rules kept as data in seeds/gamification/: points, badges, ranks, privileges."""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from arena.config import PROJECT_ROOT

DEFAULT_RULES_DIR = PROJECT_ROOT / "seeds" / "gamification"
BOARDS = ("contributors", "auditors")
TIERS = ("bronze", "silver", "gold")
BADGE_KINDS = {
    "first": ("action",),
    "volume": ("action", "count"),
    "streak": ("days",),
    "quality": ("rate", "min_votes"),
    "community": (),
    "discovery": ("count",),
}


@dataclass(frozen=True)
class PointRule:
    reason: str
    points: int
    board: str
    description: str
    daily_cap: int | None = None


@dataclass(frozen=True)
class BadgeRule:
    slug: str
    name: str
    tier: str
    icon: str
    kind: str
    description: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Threshold:
    """A rank or privilege unlocked at a number of all-time points."""

    name: str
    points: int
    label: str = ""


@dataclass(frozen=True)
class Rules:
    points: dict[str, PointRule]
    badges: list[BadgeRule]
    ranks: list[Threshold]
    privileges: list[Threshold]
    consensus_min_votes: int
    consensus_majority: float
    discovery_window_days: int
    popular_pair_votes: int = 25  # votes on one mined pair that earn its contributor pair_popular
    discovery_first_votes: int = 1  # a model's first votes that may be discoveries

    def badge(self, slug: str) -> BadgeRule:
        return next(rule for rule in self.badges if rule.slug == slug)


class RulesError(ValueError):
    """A rules file is malformed; the message names the file and the entry."""


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise RulesError(f"{path.name}: {error}") from None


def _point_rule(row: dict) -> PointRule:
    if row.get("board") not in BOARDS:
        raise RulesError(f"points.json: rule {row.get('reason')!r} needs a board in {BOARDS}")
    return PointRule(
        row["reason"], int(row["points"]), row["board"], row["description"], row.get("daily_cap")
    )


def _badge_rule(row: dict) -> BadgeRule:
    slug = row.get("slug")
    kind = row.get("kind")
    if kind not in BADGE_KINDS:
        raise RulesError(f"badges.json: badge {slug!r} has unknown kind {kind!r}")
    if row.get("tier") not in TIERS:
        raise RulesError(f"badges.json: badge {slug!r} needs a tier in {TIERS}")
    missing = [name for name in BADGE_KINDS[kind] if name not in row]
    if missing:
        raise RulesError(f"badges.json: badge {slug!r} ({kind}) lacks {', '.join(missing)}")
    params = {name: row[name] for name in BADGE_KINDS[kind]}
    return BadgeRule(slug, row["name"], row["tier"], row["icon"], kind, row["description"], params)


def load_rules(directory: str | Path = DEFAULT_RULES_DIR) -> Rules:
    directory = Path(directory)
    points = _read(directory / "points.json")
    badges = _read(directory / "badges.json")
    ranks = _read(directory / "ranks.json")
    thresholds = [Threshold(r["name"], r["points"]) for r in ranks["ranks"]]
    return Rules(
        points={rule.reason: rule for rule in map(_point_rule, points["rules"])},
        badges=[_badge_rule(row) for row in badges["badges"]],
        ranks=sorted(thresholds, key=lambda rank: rank.points),
        privileges=[Threshold(p["name"], p["points"], p["label"]) for p in ranks["privileges"]],
        consensus_min_votes=points["consensus"]["min_votes"],
        consensus_majority=points["consensus"]["majority"],
        discovery_window_days=points["discovery_window_days"],
        popular_pair_votes=points.get("popular_pair_votes", 25),
        discovery_first_votes=points.get("discovery_first_votes", 1),
    )


@cache
def default_rules() -> Rules:
    return load_rules(DEFAULT_RULES_DIR)
