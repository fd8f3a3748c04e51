"""The audience builder: filter catalog, rule tree <-> IR, descriptions (pure, no Django).

The members of a saved segment are read on the Django side (``insights.segments.selectors``;
other apps: ``insights.facade.audience_members``)."""
