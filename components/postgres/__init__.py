"""HA PostgreSQL for Langfuse, run by CloudNativePG. The package imports nothing, so its contract (contract.py)
loads without Pulumi."""
