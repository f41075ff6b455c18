"""What every backend kind shares: the user-safe error, progress of a stream, the chat messages."""

from dataclasses import dataclass

from arena.custom.backends.config import ModelConfig

ROLES = ("system", "user", "assistant")


class BackendError(Exception):
    """A generation failed. The message is safe to show a user: it never contains an API key."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message)
        self.message = message
        # For logs only: what the server or library said, with any API key removed.
        self.detail = detail


@dataclass
class Progress:
    """Filled in by a backend while it streams; read once the stream ends."""

    completion_tokens: int | None = None
    finish_reason: str | None = None


def chat_messages(config: ModelConfig, messages: list[dict]) -> list[dict]:
    """The conversation as sent to a backend: the model's system prompt first, if it has one."""
    if not messages:
        raise BackendError("There is nothing to answer: the conversation is empty.")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise BackendError(f"Each message needs a role among {', '.join(ROLES)}.")
        if not isinstance(message.get("content"), str):
            raise BackendError("Each message needs text content.")
    cleaned = [{"role": m["role"], "content": m["content"]} for m in messages]
    if config.system_prompt:
        cleaned.insert(0, {"role": "system", "content": config.system_prompt})
    return cleaned
