"""Asking a question: services, the shop vocabulary for the model, the API and the page."""
