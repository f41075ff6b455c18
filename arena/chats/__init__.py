"""Shared chats: parsing exports, scrubbing personal data, mining pairs, feedback statistics."""
