"""Segments: the live audience of the builder, saved segments with versioned snapshots, exports
and webhooks: services, selectors, the API and the pages."""
