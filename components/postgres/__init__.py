"""HA PostgreSQL for Langfuse, run by CloudNativePG."""

from components.postgres.cluster import PostgresCluster, PostgresClusterArgs

__all__ = ["PostgresCluster", "PostgresClusterArgs"]
