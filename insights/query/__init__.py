"""Question -> typed IR -> ClickHouse SQL -> answer. Pure Python, no Django import (DESIGN.md §8)."""
