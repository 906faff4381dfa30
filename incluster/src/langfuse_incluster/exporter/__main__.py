"""`python -m langfuse_incluster.exporter`: the usage exporter (components/tenancy deploys it)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from kubernetes import client, config
from prometheus_client import start_http_server

from langfuse_incluster import contract
from langfuse_incluster.exporter.collector import UsageCollector
from langfuse_incluster.exporter.poller import UsagePoller
from langfuse_incluster.exporter.settings import UsageSettings, usage_settings
from langfuse_incluster.usage.langfuse_usage import UsageApi, new_http_client
from langfuse_incluster.usage.tenants import KubernetesTenants, Tenant


def load_kubernetes() -> None:
    """In the cluster: the pod's service account; elsewhere (development, tests): KUBECONFIG."""
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()
    else:
        config.load_kube_config()


def kubernetes_tenants(settings: UsageSettings) -> KubernetesTenants:
    load_kubernetes()
    return KubernetesTenants(client.CustomObjectsApi(), client.CoreV1Api(), settings.mode, settings.defaults, settings.shared_key)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m langfuse_incluster.exporter", description=__doc__)
    parser.add_argument("--port", type=int, default=contract.EXPORTER_METRICS_PORT, help="where /metrics is served")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = usage_settings()
    tenants = kubernetes_tenants(settings)
    collector = UsageCollector()
    http = new_http_client(connections=settings.poll.concurrency)
    apis: dict[tuple[str, str], UsageApi] = {}

    def api_for(tenant: Tenant) -> UsageApi:
        key = (tenant.public_key, tenant.secret_key)
        if key not in apis:
            apis[key] = UsageApi(settings.api_url, *key, http=http, on_request=collector.count_request)
        return apis[key]

    poller = UsagePoller(tenants.list, api_for, settings.poll, errors=collector.count_error)
    collector.poller = poller
    start_http_server(args.port, registry=collector.registry)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    poller.run(stop)


if __name__ == "__main__":
    main()
