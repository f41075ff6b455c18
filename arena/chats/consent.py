"""Other people's chats: an export that holds them is taken only with the uploader's word.

Open WebUI's feedback export (admin only) holds every rated chat of every user, and an admin's
"export all" may too. Before anything is scrubbed or stored, such a file needs the uploader to
confirm they have everyone's consent, or to keep only one Open WebUI user's chats (their own).
Owner ids and names are read from the file for this question only, and never stored.
"""

from collections import Counter
from dataclasses import dataclass

from arena.chats.formats import ParsedChat
from arena.core.errors import InvalidInput

EVERYONE = "everyone"


@dataclass(frozen=True)
class Consent:
    everyone: bool = False  # the uploader confirms every person in the file agreed
    only_user: str | None = None  # keep only this Open WebUI user's chats


@dataclass(frozen=True)
class Owner:
    id: str
    name: str  # as the file names them, for the uploader to recognise; "" when unnamed
    chats: int


class ConsentRequired(InvalidInput):
    """The file holds chats of other people (or may: a feedback export) and no choice was made."""

    def __init__(self, owners: list[Owner], feedback_export: bool):
        self.owners = owners
        self.feedback_export = feedback_export
        what = (
            "an Open WebUI feedback export, which holds every rated chat of every user"
            if feedback_export
            else f"chats of {len(owners)} Open WebUI users"
        )
        super().__init__(
            f"This file is {what}. Confirm that everyone in it agreed to share their chats "
            f'(consent "{EVERYONE}"), or keep only your own chats (only_user: your Open WebUI '
            "user id): " + "; ".join(f"{o.id} ({_named(o)}{o.chats} chat(s))" for o in owners) + "."
        )


def owners(chats: list[ParsedChat]) -> list[Owner]:
    """The Open WebUI users whose chats the file holds, most chats first."""
    counts = Counter(chat.owner_id for chat in chats if chat.owner_id)
    names = {chat.owner_id: chat.owner_name for chat in chats if chat.owner_name}
    return [
        Owner(owner_id, names.get(owner_id) or "", count)
        for owner_id, count in counts.most_common()
    ]


def needs_consent(chats: list[ParsedChat]) -> bool:
    return any(chat.source_format == "openwebui_feedback" for chat in chats) or (
        len({chat.owner_id for chat in chats if chat.owner_id}) > 1
    )


def consented(chats: list[ParsedChat], consent: Consent | None) -> list[ParsedChat]:
    """The chats the uploader may share: all of them, or only one user's, as chosen."""
    consent = consent or Consent()
    if consent.only_user:
        kept = [chat for chat in chats if chat.owner_id == consent.only_user]
        if not kept:
            raise InvalidInput(
                f"No chat in this file belongs to the Open WebUI user {consent.only_user[:60]}."
            )
        return kept
    if needs_consent(chats) and not consent.everyone:
        feedback = any(chat.source_format == "openwebui_feedback" for chat in chats)
        raise ConsentRequired(owners(chats), feedback)
    return chats


def _named(owner: Owner) -> str:
    return f"{owner.name[:40]}, " if owner.name else ""
