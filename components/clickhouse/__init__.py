"""Replicated ClickHouse for Langfuse (Altinity operator) with ClickHouse Keeper. The package imports nothing, so
its contract (contract.py) loads without Pulumi."""
