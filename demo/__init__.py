"""The demo data: generated Suzhou-style hotline tickets with known labels (no real ticket)."""
