"""Infrastructure every domain shares: units of work, clock, errors, rendering, accounts."""
