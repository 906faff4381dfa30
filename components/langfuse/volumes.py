"""Volumes every Langfuse container mounts: scratch space and the CA certificates it verifies with.

The root filesystem is read-only; Langfuse v4.16 writes nothing to disk at runtime except Next.js'
cache, which gets its own emptyDir in web.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import pulumi_kubernetes as k8s

from components.common.refs import CaCertificateRef, ConfigMapKeyRef
from components.langfuse.environment import POSTGRES_CA_FILE, TRUSTED_CA_FILE


@dataclass(frozen=True)
class Mounts:
    volumes: list[k8s.core.v1.VolumeArgs]
    volume_mounts: list[k8s.core.v1.VolumeMountArgs]

    def __add__(self, other: Mounts) -> Mounts:
        return Mounts(self.volumes + other.volumes, self.volume_mounts + other.volume_mounts)


def scratch(name: str, path: str, size_limit: str) -> Mounts:
    return Mounts(
        [k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size_limit))],
        [k8s.core.v1.VolumeMountArgs(name=name, mount_path=path)],
    )


def ca_file(name: str, ref: CaCertificateRef, file_path: str) -> Mounts:
    """Mount one key of a ConfigMap or Secret as the file `file_path`."""
    directory, filename = posixpath.split(file_path)
    items = [k8s.core.v1.KeyToPathArgs(key=ref.key, path=filename)]
    if ref.kind == "Secret":
        volume = k8s.core.v1.VolumeArgs(
            name=name, secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=ref.name, items=items, default_mode=0o444)
        )
    else:
        volume = k8s.core.v1.VolumeArgs(
            name=name, config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=ref.name, items=items, default_mode=0o444)
        )
    return Mounts([volume], [k8s.core.v1.VolumeMountArgs(name=name, mount_path=directory, read_only=True)])


def tmp() -> Mounts:
    return scratch("tmp", "/tmp", "1Gi")


def postgres_ca(ref: CaCertificateRef) -> Mounts:
    return ca_file("postgres-ca", ref, POSTGRES_CA_FILE)


def trusted_ca(ref: ConfigMapKeyRef) -> Mounts:
    return ca_file("trusted-ca", CaCertificateRef("ConfigMap", ref.name, ref.key), TRUSTED_CA_FILE)
