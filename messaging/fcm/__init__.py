"""Firebase Cloud Messaging HTTP v1: service-account OAuth and batched sends. No Django here."""
