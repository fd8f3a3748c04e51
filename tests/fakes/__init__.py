"""Local fake HTTP servers that follow the documented request/response shapes of Cafe24 and FCM,
so tests and benchmarks run our real httpx client code end to end."""
