"""The change feed: project changes posted to channels, and personal notifications by DM.

Every change to a project is audited in the transaction that makes it (`bot.models.AuditEntry`); the feed
job reads new audit entries after the fact, so feature code does not know the feed exists:

- `kinds`: the kinds of change a channel may subscribe to (status, blockers, milestones, members);
- `changes`: what an audit entry means for the feed: its project, kinds, the lines a post shows, and
  who is told personally;
- `subscriptions`: which channels get a project's changes (`/project subscribe|unsubscribe`), the
  privacy rule, and the personal opt-out (`/liaison notifications off|on`);
- `intake`: takes each new audit entry once (whichever process gets it first) and plans its items;
- `claims`: the items' ledger: claim with a lease, batch, settle (fenced by the claim token);
- `content`: per claimed item, at send time: still to be sent? to whom? what does it say?;
- `sending`: the `FeedSender` protocol that bot/slack implements;
- `dispatch`: one feed tick.

docs/feed.md has the rules. Nothing here imports Slack.
"""
