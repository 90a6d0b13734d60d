"""Demo data the project generates itself: Suzhou-style tickets with known labels, the unit catalogue, a knowledge base (no real ticket, no real knowledge base)."""
