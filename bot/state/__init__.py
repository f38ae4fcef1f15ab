"""Everything the bot keeps in Redis: key layout, versioned writes, the connection, the embedded server."""
