"""Auditing and communities: who may review and moderate, the audit queue that gates shared
chats, flags on battles, agreement between auditors (see seeds/auditing.json)."""
