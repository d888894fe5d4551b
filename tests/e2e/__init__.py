"""End-to-end tests: the whole stack started once per session and spoken to over HTTP."""
