"""Valkey with Sentinel for Langfuse's queues and cache; configuration rendered here, run by StatefulSets."""

from components.redis.sentinel import SentinelRedis, SentinelRedisArgs

__all__ = ["SentinelRedis", "SentinelRedisArgs"]
