"""Building blocks shared by every stack config model: strictness, references to Secrets and ConfigMaps,
and the cluster a stack targets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel

from components.platform.openshift_support import KUBERNETES_OF_OPENSHIFT, refusal
from components.platform.openshift_support import SUPPORTED as SUPPORTED_OPENSHIFT
from infra.stack_config.types import (
    AwsRegion,
    CpuQuantity,
    DataKey,
    DnsLabel,
    DnsName,
    ObjectName,
    SecretsManagerName,
    cpu_millicores,
)

# The releases the pinned operators install and are supported on (components/platform/openshift_support.py).
OpenShiftVersion = Literal[SUPPORTED_OPENSHIFT]  # type: ignore[valid-type]


class Model(BaseModel):
    """The schema of what a stack file writes. Where a component takes the same concept, the `...Config` model here
    is its stack-file form and the component's type (e.g. RouteConfig -> RouteSettings, ResourcesConfig ->
    Resources) is built from it once by the program: components never import the stack config."""

    # strict: YAML already types values (a quoted "3" is not a replica count, `true` is not 1).
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True, strict=True)


class ConfigMapKeyRefConfig(Model):
    """A key of an existing ConfigMap: the stack-file form of the components' ConfigMapKeyRef."""

    config_map_name: ObjectName = Field(description="name of the ConfigMap")
    key: DataKey = Field(description="key inside the ConfigMap")


class SecretsManagerRef(Model):
    """A value in an existing AWS Secrets Manager secret (a JSON property of it). Referenced, never copied:
    External Secrets materialises it into the namespace."""

    secrets_manager_name: SecretsManagerName = Field(description="name of the secret in Secrets Manager")
    property: DataKey = Field(description="JSON property holding the value")


class Credentials(Model):
    """An existing Secrets Manager secret holding a username and a password (e.g. the one RDS manages)."""

    secrets_manager_name: SecretsManagerName = Field(description="name of the secret in Secrets Manager")
    username_property: DataKey = Field(default="username", description="JSON property of the user name")
    password_property: DataKey = Field(default="password", description="JSON property of the password")


class Cpu(Model):
    request: CpuQuantity = Field(description="CPU the scheduler reserves, e.g. 500m or 2")
    limit: CpuQuantity = Field(description="CPU the container may burst to")

    @field_validator("limit")
    @classmethod
    def _not_below_request(cls, limit: str, info: ValidationInfo) -> str:
        request = info.data.get("request")
        if request is not None and cpu_millicores(limit) < cpu_millicores(request):
            raise ValueError(f"must be at least request ({request})")
        return limit


class ClusterConfig(Model):
    name: DnsLabel = Field(description="ROSA cluster name, as in `rosa list clusters`")
    region: AwsRegion = Field(description="AWS region of the cluster")
    openshift_version: OpenShiftVersion = Field(
        description="OpenShift minor release of the cluster (`rosa describe cluster`); the supported ones are those every pinned operator installs on (docs: OpenShift versions)"
    )
    kube_context: str = Field(
        min_length=1, description="kubeconfig context of the cluster; pins the stack to it so prod never deploys to dev"
    )
    apps_domain: DnsName = Field(description="the cluster's default ingress domain (apps.<cluster>.<id>.p1.openshiftapps.com)")

    @field_validator("openshift_version", mode="before")
    @classmethod
    def _operators_install(cls, version: object) -> object:
        if isinstance(version, str) and version not in SUPPORTED_OPENSHIFT:
            raise ValueError(refusal(version))
        return version

    @property
    def kubernetes_version(self) -> str:
        return KUBERNETES_OF_OPENSHIFT[self.openshift_version]
