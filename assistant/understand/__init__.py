"""Question understanding done by code, not the model: the workspace's vocabulary, aliases that map what a
marketer types to the data's own values, the question's language and clarifying questions."""
