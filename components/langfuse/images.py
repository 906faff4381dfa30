"""Langfuse container images, pinned by version and digest.

Digests are the multi-arch index digests of the Docker Hub tags (docker.io/langfuse/langfuse and
langfuse/langfuse-worker), as recorded on 2026-08-22 in public deployment notes; they could not be
read from the registry on the machine that wrote this. Check them before a first deploy with
`skopeo inspect --raw docker://docker.io/langfuse/langfuse:<version> | sha256sum`: a wrong digest
fails the image pull loudly, it never runs a different image.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class LangfuseImages:
    web: str
    worker: str


# version -> (web digest, worker digest)
_DIGESTS: dict[str, tuple[str, str]] = {
    "4.16.0": (
        "sha256:e8459747001aa00da1bdecdc5d46c48d37c2e9b4c2c99743b27efeb2872e0583",
        "sha256:b4490170d5bc18e873f7ca7c3edad5af16022156487a5c47c328d571a9063dc1",
    ),
}

SUPPORTED_VERSIONS: tuple[str, ...] = tuple(_DIGESTS)


def langfuse_images(version: str, registry: str = DEFAULT_REGISTRY) -> LangfuseImages:
    """Image references `registry/langfuse/<image>:<version>@<digest>`; a mirror keeps the digests."""
    web_digest, worker_digest = _DIGESTS[version]
    return LangfuseImages(
        web=f"{registry}/langfuse/langfuse:{version}@{web_digest}",
        worker=f"{registry}/langfuse/langfuse-worker:{version}@{worker_digest}",
    )
