"""The runtime of intake-bot: settings, Redis-held state, the service and the adapters."""
