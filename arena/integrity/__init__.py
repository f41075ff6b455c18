"""Vote integrity: statistical detection of rigged voting on the vote log, and the weights
that keep flagged voters off the published boards. Pure: plain records in, flags out."""
