"""The CPU and memory of a container: one value, whichever store or Langfuse process it sizes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    cpu_request: str  # Kubernetes quantities as the stack file writes them, e.g. '500m' or '2'
    cpu_limit: str
    memory: str  # request and limit: memory is not compressible, so no overcommit

    def requirements(self) -> dict[str, dict[str, str]]:
        """The container's `resources`, quantities as written."""
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory},
        }
