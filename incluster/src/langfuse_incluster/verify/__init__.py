"""Proof that a deployed Langfuse works end to end, through Langfuse's own SDK: the round trip (health,
readiness, a trace with a generation and a score sent and read back, its event objects in the bucket) and a
release gate on evaluation scores. Run as `python -m langfuse_incluster.verify`; the monitor repeats the round trip."""
