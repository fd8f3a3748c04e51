"""Saved questions and their runs: services, selectors, the API and the pages."""
