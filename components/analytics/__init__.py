"""The analytics cluster: a sharded ClickHouse loaded from Langfuse's scheduled exports, its dashboards, and
read-only access to the same exports for data warehouses."""
