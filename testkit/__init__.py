"""Real parts for tests and benchmarks: stand-ins for the platforms' servers, Redis servers, answers.

A package of its own (not under `tests/`) so that `bench/` imports it like
any other package; it ships in the wheel but nothing in `bot/` imports it.
"""
