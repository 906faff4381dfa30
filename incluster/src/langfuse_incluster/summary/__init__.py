"""The weekly usage summary: per project and in total, spend, tokens, traces, top models, week over week,
budget burn and forecast, with cost recommendations; posted to Slack as Block Kit and written as Markdown."""
