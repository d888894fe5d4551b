"""Business capabilities called by routes (one module per capability)."""
