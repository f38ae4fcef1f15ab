"""The Slack adapter: Bolt request handling in, Block Kit rendering out, nothing else."""
