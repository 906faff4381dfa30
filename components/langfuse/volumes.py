"""Volumes every Langfuse container mounts: scratch space and the CA certificates it verifies with.

The root filesystem is read-only; Langfuse v4.16 writes nothing to disk at runtime except Next.js'
cache, which gets its own emptyDir in web.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import pulumi_kubernetes as k8s

from components.langfuse.backend import ConfigMapKeyRef
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


def config_map_file(name: str, ref: ConfigMapKeyRef, file_path: str) -> Mounts:
    """Mount one key of a ConfigMap as the file `file_path`."""
    directory, filename = posixpath.split(file_path)
    return Mounts(
        [
            k8s.core.v1.VolumeArgs(
                name=name,
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                    name=ref.name, items=[k8s.core.v1.KeyToPathArgs(key=ref.key, path=filename)], default_mode=0o444
                ),
            )
        ],
        [k8s.core.v1.VolumeMountArgs(name=name, mount_path=directory, read_only=True)],
    )


def tmp() -> Mounts:
    return scratch("tmp", "/tmp", "1Gi")


def postgres_ca(ref: ConfigMapKeyRef) -> Mounts:
    return config_map_file("postgres-ca", ref, POSTGRES_CA_FILE)


def trusted_ca(ref: ConfigMapKeyRef) -> Mounts:
    return config_map_file("trusted-ca", ref, TRUSTED_CA_FILE)
