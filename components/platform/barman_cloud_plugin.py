"""BarmanCloudPlugin: CloudNativePG's Barman Cloud Plugin, deployed beside the operator from its release manifest.

Every object comes from the plugin's manifest at tag v0.14.0 (vendor/plugin-barman-cloud-v0.14.0/, unchanged),
rendered as a typed resource so the offline plan sees exactly what `pulumi up` applies. What differs, and why:
- the images, by digest: the manifest at the tag names the testing build, which the release workflow swaps for
  the release tag (Taskfile.yml `manifest-internal`); components/postgres/images.py pins both;
- SIDECAR_IMAGE is a plain value, not a generated Secret (kustomize's secretGenerator): it is not secret;
- no fixed runAsUser/runAsGroup, which restricted-v2 refuses (it assigns the UID); bounded resources; log level
  info instead of debug; a disruption budget and a zone spread, both trivial for its single replica;
- one replica, as upstream: the plugin serves CloudNativePG only from its elected leader (the gRPC server is a
  leader-elected controller-runtime runnable, internal/cnpgi/operator/manager.go), and its readiness is that
  port, so a second replica would never turn ready. WAL archiving does not stop with it: the sidecar in each
  instance pod archives; creating instance pods and starting backups wait for it.
The plugin must run in the operator's namespace, where CloudNativePG finds it by its Service's
`cnpg.io/pluginName` label (plugin docs, "Installation"); its mTLS certificates come from cert-manager.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.common.labels import MANAGED_BY
from components.common.pod_security import NEEDS_API_TOKEN_ANNOTATION
from components.common.scheduling import ZONE_KEY
from components.postgres.images import BARMAN_CLOUD_PLUGIN_IMAGE, BARMAN_CLOUD_PLUGIN_VERSION, BARMAN_CLOUD_SIDECAR_IMAGE

MANIFEST = Path(__file__).with_name("vendor") / f"plugin-barman-cloud-v{BARMAN_CLOUD_PLUGIN_VERSION}" / "manifest.yaml"


def manifest_objects() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]


@dataclass(frozen=True)
class BarmanCloudPluginArgs:
    namespace: str  # CloudNativePG's


class BarmanCloudPlugin(pulumi.ComponentResource):
    def __init__(self, name: str, args: BarmanCloudPluginArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:platform:BarmanCloudPlugin", name, None, opts)
        objects = manifest_objects()
        secrets = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
        created: list[pulumi.Resource] = []
        child = pulumi.ResourceOptions(parent=self)
        for o in objects:
            namespace = o["metadata"].get("namespace")
            if namespace is not None and namespace != args.namespace:
                raise ValueError(f"{MANIFEST.name}: {o['kind']} {o['metadata']['name']} is for namespace {namespace}, not {args.namespace}")
            kind, metadata = o["kind"], _metadata(o)
            if kind == "Secret":
                continue  # its only value, SIDECAR_IMAGE, goes into the Deployment
            if kind == "Deployment":
                continue  # after its certificates, below
            created.append(_typed(o["metadata"]["name"], kind, o, metadata, child))
        deployment = next(o for o in objects if o["kind"] == "Deployment")
        name = deployment["metadata"]["name"]
        k8s.apps.v1.Deployment(
            name,
            metadata=_metadata(deployment),
            spec=_deployment_spec(deployment, secrets),
            opts=pulumi.ResourceOptions(parent=self, depends_on=created),
        )
        selector = deployment["spec"]["selector"]["matchLabels"]
        k8s.policy.v1.PodDisruptionBudget(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, labels={"app.kubernetes.io/managed-by": MANAGED_BY}),
            # One replica: the budget documents that a drain may take it down (it is rescheduled at once).
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector)),
            opts=child,
        )
        self.register_outputs({})


def _metadata(o: dict[str, Any]) -> dict[str, Any]:
    metadata = copy.deepcopy(o["metadata"])
    metadata.setdefault("labels", {})["app.kubernetes.io/managed-by"] = MANAGED_BY
    return metadata


def _typed(resource_name: str, kind: str, o: dict[str, Any], metadata: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.Resource:
    if kind == "CustomResourceDefinition":
        return k8s.apiextensions.v1.CustomResourceDefinition(resource_name, metadata=metadata, spec=o["spec"], opts=opts)
    if kind == "ServiceAccount":
        return k8s.core.v1.ServiceAccount(resource_name, metadata=metadata, opts=opts)
    if kind == "Service":
        return k8s.core.v1.Service(resource_name, metadata=metadata, spec=o["spec"], opts=opts)
    if kind in ("Role", "ClusterRole"):
        cls = k8s.rbac.v1.Role if kind == "Role" else k8s.rbac.v1.ClusterRole
        return cls(resource_name, metadata=metadata, rules=o["rules"], opts=opts)
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        cls = k8s.rbac.v1.RoleBinding if kind == "RoleBinding" else k8s.rbac.v1.ClusterRoleBinding
        return cls(resource_name, metadata=metadata, role_ref=o["roleRef"], subjects=o["subjects"], opts=opts)
    if o["apiVersion"] == "cert-manager.io/v1":
        return k8s.apiextensions.CustomResource(resource_name, api_version=o["apiVersion"], kind=kind, metadata=metadata, spec=o["spec"], opts=opts)
    raise ValueError(f"{MANIFEST.name}: no typed resource for {o['apiVersion']} {kind}")


def _deployment_spec(deployment: dict[str, Any], secrets: set[str]) -> dict[str, Any]:
    spec = copy.deepcopy(deployment["spec"])
    pod = spec["template"]
    (container,) = pod["spec"]["containers"]
    (sidecar_env,) = container["env"]
    if sidecar_env["name"] != "SIDECAR_IMAGE" or sidecar_env["valueFrom"]["secretKeyRef"]["name"] not in secrets:
        raise ValueError(f"{MANIFEST.name}: the Deployment no longer takes only SIDECAR_IMAGE from its Secret")
    container["image"] = BARMAN_CLOUD_PLUGIN_IMAGE
    container["env"] = [{"name": "SIDECAR_IMAGE", "value": BARMAN_CLOUD_SIDECAR_IMAGE}]
    container["args"] = ["--log-level=info" if a == "--log-level=debug" else a for a in container["args"]]
    for fixed in ("runAsUser", "runAsGroup"):
        container["securityContext"].pop(fixed, None)
    container["securityContext"]["runAsNonRoot"] = True
    container["resources"] = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    pod.setdefault("metadata", {}).setdefault("annotations", {})[NEEDS_API_TOKEN_ANNOTATION] = "a controller: watches ObjectStores and Backups"
    selector = spec["selector"]["matchLabels"]
    pod["spec"]["topologySpreadConstraints"] = [
        {"maxSkew": 1, "topologyKey": ZONE_KEY, "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": selector}}
    ]
    return spec
