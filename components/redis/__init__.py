"""Valkey with Sentinel for Langfuse's queues and cache; configuration rendered here, run by StatefulSets. The
package imports nothing, so its contract (contract.py) loads without Pulumi."""
