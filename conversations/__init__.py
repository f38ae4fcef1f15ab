"""The platform-free core of intake-bot.

Nothing in this package performs I/O or imports Slack, Teams or Redis: the
questions, the parsers, the dialogue and the decision engine are pure so that
every front end shows the same behaviour and the tests need no servers.
"""
