"""Code that runs inside the cluster or against a live Langfuse: the tenant controller, verify (the round trip
and the score gate) and the round-trip monitor. Knows nothing of Pulumi; the deploying side (components/) and the
CLI (infra/) import only `contract`, and reach verify through `python -m langfuse_incluster.verify`."""
