"""The Slack front door: a thin Bolt app that hands mentions and DMs to the shared agent and answers in threads."""
