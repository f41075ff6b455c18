"""Detectors of personal data that presidio's stock recognisers miss, and the text normaliser
that undoes the disguises (markdown, HTML entities, invisible characters) before any of them run.
"""
