"""Gamification derived from votes and shares: rules, points, consensus, badges, people boards."""
