"""Curated data sets per community: preference pairs (dpo, openai-dpo), rated answers (kto),
every vote (battles, csv), and the data statement that goes with them. Only accepted, still
shared, licensed content; judges pseudonymised (see selection, pseudonyms, statement)."""
