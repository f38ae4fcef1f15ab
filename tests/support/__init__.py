"""Helpers shared by the test suites: stand-in servers and real Redis servers."""
