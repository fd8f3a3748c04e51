"""The curated plan library: plans.jsonl (the shipped data) and build_library.py, the script
that wrote it. No Django import."""
