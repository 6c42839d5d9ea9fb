"""Changes asked for in plain language, held until the asker confirms them (issue 14).

"mark pcm-2 done", "move bidshade-3 to next friday", "assign pcm-2 to Marek", "add a blocker to
uplift: …", "remind me about fatigue-2 tomorrow at 9": `requests.read_change_request` reads them
(conservatively: questions are never change requests), `offers.make_offer` resolves and checks one
against the records and stores it as a `tables.Proposal`, and `decisions.confirm_proposal` /
`decisions.cancel_proposal` decide it for its asker, calling the feature functions the slash commands
call. No Slack here: `bot.slack.proposals` shows proposals and carries out the buttons
(docs/acting-by-conversation.md).
"""
