"""APScheduler jobs. They reach Slack only through a notifier and never import slack_bolt."""
