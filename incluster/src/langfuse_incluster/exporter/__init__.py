"""The usage exporter: polls Langfuse's v2 metrics per project on a bounded schedule and serves the figures
to Prometheus (a collector over the last snapshot)."""
