"""The tenant controller: one Langfuse project and API key pair per platform project namespace."""
