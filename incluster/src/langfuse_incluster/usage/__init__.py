"""Cost and usage per project from Langfuse's v2 metrics API: the queries, the one client, the figures
(month-to-date, forecast, week over week, budget burn) and model prices. Shared by the exporter, the weekly
summary and the `langfuse-rosa usage` command (tenants.py reads the projects from Kubernetes)."""
