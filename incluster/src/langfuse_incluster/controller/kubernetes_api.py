"""The one Kubernetes client the reconcile uses: the langfuse-keys Secret of a project namespace (RBAC lets
the controller touch no other Secret; the admission policy refuses any other name on create)."""

from __future__ import annotations

import base64

from kubernetes import client
from kubernetes.client.rest import ApiException

from langfuse_incluster import contract
from langfuse_incluster.controller.reconcile import SecretView, WriteSecret


def secret_manifest(namespace: str, write: WriteSecret) -> dict:
    """The Secret the controller writes (validated in the tests against Kubernetes' schema)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": contract.SECRET_NAME,
            "namespace": namespace,
            "labels": {contract.MANAGED_BY_LABEL: contract.CONTROLLER_NAME},
            "annotations": {contract.KEY_ID_ANNOTATION: write.key_id, contract.PROJECT_ID_ANNOTATION: write.project_id},
        },
        "stringData": {
            contract.PUBLIC_KEY: write.public_key,
            contract.SECRET_KEY: write.secret_key,
            contract.HOST: write.host,
            contract.BASE_URL: write.host,
        },
    }


def secret_view(manifest: dict) -> SecretView:
    meta = manifest.get("metadata") or {}
    values = {k: base64.b64decode(v).decode() for k, v in (manifest.get("data") or {}).items()}
    values.update(manifest.get("stringData") or {})
    annotations = meta.get("annotations") or {}
    return SecretView(
        managed=(meta.get("labels") or {}).get(contract.MANAGED_BY_LABEL) == contract.CONTROLLER_NAME,
        public_key=values.get(contract.PUBLIC_KEY),
        secret_key=values.get(contract.SECRET_KEY),
        host=values.get(contract.HOST),
        base_url=values.get(contract.BASE_URL),
        key_id=annotations.get(contract.KEY_ID_ANNOTATION),
        project_id=annotations.get(contract.PROJECT_ID_ANNOTATION),
    )


class TenantSecrets:
    def __init__(self, api: client.CoreV1Api) -> None:
        self._api = api

    def read(self, namespace: str) -> SecretView | None:
        try:
            secret = self._api.read_namespaced_secret(contract.SECRET_NAME, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return secret_view(self._api.api_client.sanitize_for_serialization(secret))

    def write(self, namespace: str, write: WriteSecret) -> None:
        manifest = secret_manifest(namespace, write)
        try:
            self._api.replace_namespaced_secret(contract.SECRET_NAME, namespace, manifest)
        except ApiException as error:
            if error.status != 404:
                raise
            self._api.create_namespaced_secret(namespace, manifest)

    def delete(self, namespace: str) -> None:
        try:
            self._api.delete_namespaced_secret(contract.SECRET_NAME, namespace)
        except ApiException as error:
            if error.status != 404:
                raise
