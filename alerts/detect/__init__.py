"""Spike and drop detection, Django-free: series shaping, the detector, the seed's V3 rule,
offline explanations and the labelled evaluation. Tested without a database (tests/alerts/)."""
