"""The arena's core loop: pairing, battles and votes, ratings, leaderboards, seeds."""
