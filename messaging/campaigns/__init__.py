"""Campaigns: a message to an audience (a segment or a saved question), with A/B variants, a
holdout, frequency caps and quiet hours, sent now, at a time or on a schedule."""
