"""A long-running Langfuse process (web or worker): Deployment, autoscaler and disruption budget."""

from components.langfuse.workload.spec import Autoscaling, Probes, WorkloadSpec
from components.langfuse.workload.workload import LangfuseWorkload

__all__ = ["Autoscaling", "LangfuseWorkload", "Probes", "WorkloadSpec"]
