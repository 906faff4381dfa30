"""The round-trip monitor: verify's round trip every few minutes, as Prometheus metrics (a long-running process
that Prometheus scrapes; see README, "Synthetic monitoring", for why not a CronJob)."""
