"""Campaign-plan recommendations without Django: the output schema, the Korean occasion calendar,
the curated plan library, TF-IDF retrieval, the offline composer, validation and the Gemini engine.
"""
