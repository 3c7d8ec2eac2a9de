"""Scoring story clusters against labelled stories, and running the project's own path on a labelled file."""
