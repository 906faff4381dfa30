"""Code that runs inside the cluster next to Langfuse (the tenant controller). Knows nothing of Pulumi; the
deploying side (components/tenancy) imports only `contract`."""
