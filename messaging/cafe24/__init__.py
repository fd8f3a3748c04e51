"""Cafe24 Admin API: OAuth, the HTTP client, app-launch HMAC and webhook checks. No models here."""
