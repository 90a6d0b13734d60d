"""Demo data that the project generates itself (no real tickets, no real knowledge base)."""
