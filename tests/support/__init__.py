"""Helpers shared by the suites: starting real processes on free loopback ports, waiting for them."""
