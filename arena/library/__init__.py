"""The shared prompt library: prompts people share, upvote, comment on and reuse."""
