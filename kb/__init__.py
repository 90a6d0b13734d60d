"""Answer suggestions from the hotline's knowledge base and from past answered tickets."""
