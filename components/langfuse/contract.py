"""What the rest of the deployment knows of Langfuse's own workloads: their pods' labels, web's Service and port,
the service accounts the IAM roles trust, and what the PostgreSQL connection budget counts (migration's pool, a
rollout's surge). The standard library only."""

from __future__ import annotations

from components.common.labels import selector_labels

WEB_SERVICE = "langfuse-web"  # the web Deployment's and its Service's name
WEB_PORT = 3000
WEB_SERVICE_ACCOUNT = "langfuse-web"
WORKER_SERVICE_ACCOUNT = "langfuse-worker"
MIGRATION_SERVICE_ACCOUNT = "langfuse-migrate"


def web_api_url(namespace: str) -> str:
    """Langfuse's API as in-cluster clients (the tenant controller, the usage exporter, the export Job) call it:
    web's Service, by its namespace-qualified name."""
    return f"http://{WEB_SERVICE}.{namespace}.svc:{WEB_PORT}"


def pod_labels(component: str) -> dict[str, str]:
    """The pods of one Langfuse workload: `web`, `worker` or `migration`."""
    return selector_labels("langfuse", component)


WEB_POD_LABELS = pod_labels("web")
WORKER_POD_LABELS = pod_labels("worker")
MIGRATION_POD_LABELS = pod_labels("migration")

# Prisma's Schema Engine (migrate deploy, db execute) uses a single connection (Prisma docs, "Configure Prisma
# Client with PgBouncer": "the Schema Engine is designed to use a single connection to the database").
MIGRATION_CONNECTIONS = 1
# A rollout adds up to this share of the replicas (rounded up, Kubernetes docs "Deployments": maxSurge) before
# it removes old pods; the PostgreSQL connection budget counts them (infra/stack_config/connections.py).
MAX_SURGE_PERCENT = 25


def surge_pods(replicas: int) -> int:
    return -(-replicas * MAX_SURGE_PERCENT // 100)
