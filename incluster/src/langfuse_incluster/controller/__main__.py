"""`python -m langfuse_incluster.controller`: the tenant controller (the image's entrypoint)."""

from __future__ import annotations

import kopf
from kubernetes import client, config
from prometheus_client import start_http_server

from langfuse_incluster import contract
from langfuse_incluster.controller import handlers
from langfuse_incluster.controller.kubernetes_api import TenantSecrets
from langfuse_incluster.controller.langfuse_api import LangfuseClient
from langfuse_incluster.controller.metrics import TenantMetrics
from langfuse_incluster.controller.settings import from_environment


def main() -> None:
    settings = from_environment()
    config.load_incluster_config()
    metrics = TenantMetrics()
    handlers.install(
        handlers.Runtime(
            settings=settings.reconcile,
            langfuse=LangfuseClient(settings.api_url, settings.public_key, settings.secret_key),
            secrets=TenantSecrets(client.CoreV1Api()),
            metrics=metrics,
        )
    )
    start_http_server(contract.METRICS_PORT, registry=metrics.registry)
    # One replica with the Deployment's Recreate strategy (kopf docs/deployment.rst: "only one replica ... use
    # .spec.strategy.type=Recreate"), so no peering objects are needed: standalone.
    kopf.run(
        standalone=True,
        clusterwide=True,
        liveness_endpoint=f"http://0.0.0.0:{contract.HEALTH_PORT}{contract.HEALTH_PATH}",
    )


if __name__ == "__main__":
    main()
