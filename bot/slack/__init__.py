"""Slack adapters: ids, Block Kit builders and the Web API client. Domain code never imports this."""
