"""Where the environment namespace's pods may reach outside the cluster's pod network."""

from __future__ import annotations

from pydantic import Field

from infra.stack_config.base import Model
from infra.stack_config.types import Ipv4Cidr


class ApiServerConfig(Model):
    """The Kubernetes API server as the pod network sees it. OVN-Kubernetes matches egress after a Service is
    load-balanced, so these are the addresses and port of `oc get endpoints kubernetes -n default`, not
    the Service's 172.30.0.1:443."""

    cidrs: list[Ipv4Cidr] = Field(min_length=1, description="addresses of the `kubernetes` endpoints (control plane or HCP API proxy)")
    port: int = Field(default=6443, ge=1, le=65535, description="port of the `kubernetes` endpoints")


class NetworkConfig(Model):
    """Egress of the environment namespace (everything else is in-cluster and derived from the components)."""

    api_server: ApiServerConfig = Field(description="where PostgreSQL's instance manager reaches the API server {cidrs, port}")
    https_egress_cidrs: list[Ipv4Cidr] = Field(
        default=["0.0.0.0/0"],
        min_length=1,
        description="where pods reach S3, STS, Secrets Manager and the SSO issuer on 443; narrow to VPC endpoint subnets and the issuer",
    )
    cluster_networks: list[Ipv4Cidr] = Field(
        default=["10.128.0.0/14", "172.30.0.0/16"],
        min_length=1,
        description="pod and service networks, carved out of httpsEgressCidrs so 443 never reaches other namespaces",
    )
    external_backend_cidrs: list[Ipv4Cidr] = Field(
        default=[], description="external mode: where the managed PostgreSQL, ClickHouse and Redis live (required there)"
    )
