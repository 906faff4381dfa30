"""LangfuseWorker: the worker Deployment, its autoscaler and disruption budget. It serves no traffic."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.langfuse.process import LangfuseProcessArgs, workload_spec
from components.langfuse.worker.queue_scaling import QueueScaling, queue_scaled_object
from components.langfuse.workload import LangfuseWorkload, Probes
from components.langfuse.workload.spec import http_probe

NAME = "langfuse-worker"
PORT = 3030
# On SIGTERM the worker stops taking queue jobs and closes its BullMQ workers, which waits for the jobs in
# flight (worker/src/utils/shutdown.ts, v4.16.0). Give that the same budget as web's drain.
TERMINATION_GRACE_SECONDS = 130


class LangfuseWorker(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        args: LangfuseProcessArgs,
        queue_scaling: QueueScaling | None = None,
        rollout_after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseWorker", name, None, opts)
        spec = workload_spec(
            args,
            name=NAME,
            component="worker",
            port=PORT,
            probes=Probes(
                startup=http_probe("/api/health", "http", period=5, failures=60),
                liveness=http_probe("/api/health", "http", period=10, failures=3),
                # /api/ready fails once SIGTERM is received (worker/src/api/index.ts).
                readiness=http_probe("/api/ready", "http", period=5, failures=2),
            ),
            termination_grace_period_seconds=TERMINATION_GRACE_SECONDS,
        )
        workload = LangfuseWorkload(
            "workload",
            spec,
            args.namespace,
            with_service=False,
            with_hpa=queue_scaling is None,
            rollout_after=rollout_after,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if queue_scaling is not None:
            queue_scaled_object(spec, queue_scaling, pulumi.ResourceOptions(parent=self, depends_on=[workload]))
        self.register_outputs({"deployment": workload.deployment.metadata.name})
