"""Custom prompts: live battles between model backends, moderation and speed figures."""
