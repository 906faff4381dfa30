"""In-cluster DNS names."""

from __future__ import annotations

import pulumi


def service_fqdn(service: str, namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """`<service>.<namespace>.svc`: how clients address a Service, and the first name OpenShift's service CA
    puts in its certificate (service-ca-operator, pkg/controller/servingcert/controller/
    secret_creating_controller.go, certSubjectsForService; also `*.<service>.<namespace>.svc` when headless)."""
    return pulumi.Output.concat(service, ".", namespace, ".svc")
