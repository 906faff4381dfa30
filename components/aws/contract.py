"""The tags the AWS side puts on what it creates, which the policy pack and the offline plan's reports read back.
The standard library only."""

from __future__ import annotations

# What a bucket (a log group, an alarm) is for: events, media, exports, backups, audit, access-logs, and
# `<purpose>-replica` in the DR region.
PURPOSE_TAG = "langfuse-rosa:purpose"
# The read-only principals' marker: the analytics loader's role and the warehouses' (the policy pack's
# analytics-ingestion-read-only looks for it).
READ_ONLY_TAG = {"langfuse-rosa:access": "read-only"}
