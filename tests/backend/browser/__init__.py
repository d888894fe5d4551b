"""Browser tests: the real backend under uvicorn, driven by Debian's Chromium via Playwright."""
