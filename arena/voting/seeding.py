"""Load seeds/ into the database. Idempotent: rows are keyed by slug or external id."""

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.core.language import detect_language
from arena.models import Community, LanguageModel, Prompt, Response, Vote
from arena.voting.ratings import rebuild_ratings


@dataclass
class SeedReport:
    communities: int = 0
    models: int = 0
    prompts: int = 0
    responses: int = 0
    votes: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in vars(self).items()) + " added"


def _read_jsonl(path: Path):
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def seed(
    session: Session, seeds_dir: str | Path, backends_file: str | Path | None = None
) -> SeedReport:
    """Add whatever of seeds/ and the backend catalogue is missing; a second run adds nothing.

    `backends_file` is the catalogue the app serves custom battles from (ARENA_BACKENDS_FILE),
    so its contestants exist as models; by default the one in seeds/.
    """
    seeds_dir = Path(seeds_dir)
    report = SeedReport()
    communities = _seed_communities(session, seeds_dir, report)
    models = _seed_models(
        session, seeds_dir, Path(backends_file or seeds_dir / "backends.json"), report
    )
    prompts = _seed_prompts(session, seeds_dir, communities, models, report)
    _seed_votes(session, seeds_dir, prompts, models, report)
    if report.votes:
        rebuild_ratings(session, retune=True)  # draws as these voters give them
    return report


def is_seeded(session: Session) -> bool:
    return session.scalar(select(Community.id).limit(1)) is not None


def _add_missing_by_slug(session, entity, rows: list[dict], fields: tuple[str, ...]):
    """Rows keyed by slug; existing slugs are left as they are. Returns (all by slug, added)."""
    existing = {row.slug: row for row in session.scalars(select(entity))}
    added = 0
    for row in rows:
        if row["slug"] not in existing:
            existing[row["slug"]] = entity(slug=row["slug"], **{f: row[f] for f in fields})
            session.add(existing[row["slug"]])
            added += 1
    session.flush()
    return existing, added


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _seed_communities(session, seeds_dir, report) -> dict[str, Community]:
    rows = _read_json(seeds_dir / "communities.json")
    communities, report.communities = _add_missing_by_slug(
        session, Community, rows, ("name", "description", "guidelines", "question")
    )
    return communities


def _seed_models(session, seeds_dir, backends_file, report) -> dict[str, LanguageModel]:
    # Models with answers in the seeds, and the live contestants of the backend catalogue.
    rows = _read_json(seeds_dir / "models.json")
    if backends_file.exists():
        rows += _read_json(backends_file)["models"]
    models, report.models = _add_missing_by_slug(
        session, LanguageModel, rows, ("name", "organization")
    )
    return models


def _seed_prompts(session, seeds_dir, communities, models, report) -> dict[str, Prompt]:
    existing = {
        p.external_id: p
        for p in session.scalars(select(Prompt).where(Prompt.external_id.isnot(None)))
    }
    for path in sorted((seeds_dir / "prompts").glob("*.jsonl")):
        origin = "seed:" + path.stem
        for row in _read_jsonl(path):
            if row["external_id"] in existing:
                stored = existing[row["external_id"]]
                if stored.language is None:  # seeded before prompts had a language
                    stored.language = detect_language(stored.text)
                continue
            prompt = Prompt(
                external_id=row["external_id"],
                origin=origin,
                community=communities[row["community"]],
                category=row.get("category", ""),
                text=row["text"],
                context=row.get("context", []),
                language=detect_language(row["text"]),
            )
            session.add(prompt)
            session.add_all(
                Response(prompt=prompt, model=models[slug], text=text)
                for slug, text in sorted(row["answers"].items())
            )
            existing[row["external_id"]] = prompt
            report.prompts += 1
            report.responses += len(row["answers"])
    session.flush()
    return existing


def _seed_votes(session, seeds_dir, prompts, models, report) -> None:
    known = set(session.scalars(select(Vote.external_id).where(Vote.external_id.isnot(None))))
    for path in sorted((seeds_dir / "votes").glob("*.jsonl")):
        for number, row in enumerate(_read_jsonl(path), start=1):
            external_id = f"{path.stem}:{number}"
            if external_id in known:
                continue
            prompt = prompts[row["prompt"]]
            session.add(
                Vote(
                    external_id=external_id,
                    origin="import:" + path.stem,
                    judge=row.get("judge"),
                    community_id=prompt.community_id,
                    prompt_id=prompt.id,
                    model_a_id=models[row["a"]].id,
                    model_b_id=models[row["b"]].id,
                    choice=row["choice"],
                    language=prompt.language,
                )
            )
            report.votes += 1
    session.flush()
