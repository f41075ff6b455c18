"""The auditing rules, kept as data in seeds/auditing.json."""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "seeds" / "auditing.json"


@dataclass(frozen=True)
class AuditRules:
    decide_at: int  # agreeing audits that decide a chat
    dispute_at: int  # audits without a decision that send it to moderators
    known_answer_share: float  # of the items an auditor is served
    known_answer_window: int  # the auditor's latest known-answer audits looked at
    known_answer_failures: int  # failures among them that suspend the auditor
    suspension_days: int
    poor_agreement: float  # an auditor's alpha below this is shown to moderators


@dataclass(frozen=True)
class AuditSettings:
    default: AuditRules
    communities: dict[str, AuditRules]
    reject_reasons: dict[str, str]
    flag_reasons: dict[str, str]
    default_question: str

    def rules_for(self, community_slug: str) -> AuditRules:
        return self.communities.get(community_slug, self.default)


@lru_cache(maxsize=4)
def load_settings(path: Path = SETTINGS_FILE) -> AuditSettings:
    data = json.loads(path.read_text(encoding="utf-8"))
    default = AuditRules(**data["default"])
    return AuditSettings(
        default=default,
        communities={
            slug: AuditRules(**{**data["default"], **overrides})
            for slug, overrides in data.get("communities", {}).items()
        },
        reject_reasons=data["reject_reasons"],
        flag_reasons=data["flag_reasons"],
        default_question=data["default_question"],
    )
