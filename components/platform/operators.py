"""OperatorSubscription: one operator installed by OLM, with its channel and starting version pinned.

OLM resolves the Subscription into an InstallPlan; with approval Manual (prod) nothing is installed or
upgraded until someone approves that InstallPlan (`oc patch installplan ... approved=true`), including the
first install. The operator's CRDs exist only after that, which is why this lives in the cluster layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import MANAGED_BY
from components.network.isolation import NamespaceIsolation, NamespaceIsolationArgs
from components.network.model import Flow
from components.platform.catalog import OperatorPackage

MARKETPLACE_NAMESPACE = "openshift-marketplace"


@dataclass(frozen=True)
class OperatorSubscriptionArgs:
    package: OperatorPackage
    install_plan_approval: str  # Automatic | Manual
    flows: tuple[Flow, ...]  # what the namespace may send and receive; everything else is denied


class OperatorSubscription(pulumi.ComponentResource):
    def __init__(self, name: str, args: OperatorSubscriptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:platform:OperatorSubscription", name, None, opts)
        pkg = args.package
        labels = {"app.kubernetes.io/managed-by": MANAGED_BY}
        child = pulumi.ResourceOptions(parent=self)
        depends: list[pulumi.Resource] = []
        if pkg.catalog_image is not None:
            depends.append(
                k8s.apiextensions.CustomResource(
                    f"{pkg.source}-catalog",
                    api_version="operators.coreos.com/v1alpha1",
                    kind="CatalogSource",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=pkg.source, namespace=MARKETPLACE_NAMESPACE, labels=labels),
                    spec={
                        "sourceType": "grpc",
                        "image": pkg.catalog_image,
                        "displayName": f"{pkg.package} (pinned by langfuse-rosa)",
                        "publisher": "langfuse-rosa",
                        # A pinned image never changes, so there is nothing to poll for.
                    },
                    opts=child,
                )
            )
        namespace = k8s.core.v1.Namespace(
            pkg.namespace,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=pkg.namespace,
                labels={**labels, **dict(pkg.namespace_labels)},
            ),
            opts=child,
        )
        # The namespace is isolated before OLM installs anything into it.
        isolation = NamespaceIsolation(
            f"{pkg.namespace}-network",
            NamespaceIsolationArgs(namespace=pkg.namespace, flows=args.flows),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace, isolation, *depends])
        k8s.apiextensions.CustomResource(
            f"{pkg.package}-operator-group",
            api_version="operators.coreos.com/v1",
            kind="OperatorGroup",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pkg.package, namespace=pkg.namespace, labels=labels),
            # No targetNamespaces: the operator watches every namespace (AllNamespaces install mode), so each
            # environment's namespace is served without changing the cluster layer.
            spec={"upgradeStrategy": "Default", **({"targetNamespaces": [pkg.namespace]} if pkg.own_namespace else {})},
            opts=in_namespace,
        )
        k8s.apiextensions.CustomResource(
            f"{pkg.package}-subscription",
            api_version="operators.coreos.com/v1alpha1",
            kind="Subscription",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pkg.package, namespace=pkg.namespace, labels=labels),
            spec={
                "name": pkg.package,
                "channel": pkg.channel,
                "startingCSV": pkg.starting_csv,
                "source": pkg.source,
                "sourceNamespace": MARKETPLACE_NAMESPACE,
                "installPlanApproval": args.install_plan_approval,
            },
            opts=in_namespace,
        )
        self.register_outputs({})
