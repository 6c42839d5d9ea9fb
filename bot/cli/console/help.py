"""What the console tells its user with `:help` (and at the start of `liaison demo`)."""

from __future__ import annotations

CONSOLE_HELP = """\
Type what a Slack user would:
  /project status bidshade      any slash command (/project, /milestone, /blocker, /liaison, /expert)
  @liaison what is overdue?     an @mention in the channel you are in
  what is overdue?              a message (in the DM, an assistant thread, or a channel chosen with :in)
Where you speak:
  :in pcm | :in C1PCM           a project's channel (by key, name or channel id): "this project" works
  :dm                           Liaison's direct messages
  :assistant                    a new assistant thread (Slack's AI-app view), looking at your channel
  :thread 1733… | :thread       follow up in a thread (no ts: the latest one here); :thread off leaves it
  :where                        where you are
Console commands:
  :as U02ECBANE | :as kwame     act as another user (Slack id or name)
  :users                        list the people in the workspace
  :click N                      press button [N] from the output above
  :submit field=value …         submit the open form (quote values with spaces; people by id or name)
  :home                         open your App Home tab
  :clock +3d                    move the simulated clock (m, h, d, w) and let the scheduler run
  :quit                         leave"""
