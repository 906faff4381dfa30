"""`python -m langfuse_incluster.blob_exports`: configure the shared project's scheduled blob export.

Without an Enterprise licence every namespace shares the one project LANGFUSE_INIT_* created, and the tenant
controller holds only that project's key. The environment stack runs this once per change as a Job: it reads
the project's id with the project key (GET /api/public/projects answers a project key with its own project),
and PUTs the export with an organisation key (the blob-storage integration API accepts nothing else). Nothing is
written when Langfuse already exports as asked. Exit 0 when the export is configured, 1 with one line on stderr
otherwise (the Job retries; `pulumi up` waits for it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from langfuse_incluster import contract
from langfuse_incluster.blob_exports import target_from_environment
from langfuse_incluster.controller.langfuse_api import LangfuseClient
from langfuse_incluster.controller.reconcile import LangfuseError
from langfuse_incluster.environment import Environment


def configure(env: Mapping[str, str]) -> str:
    need = Environment("langfuse-blob-exports", env).need
    target = target_from_environment(env)
    if target is None:
        raise SystemExit(f"langfuse-blob-exports: environment variable {contract.ENV_EXPORT_BUCKET} is required")
    url = need(contract.ENV_LANGFUSE_API_URL)
    project = LangfuseClient(url, need(contract.ENV_SHARED_PUBLIC_KEY), need(contract.ENV_SHARED_SECRET_KEY)).shared_project()
    organization = LangfuseClient(url, need(contract.ENV_ORG_PUBLIC_KEY), need(contract.ENV_ORG_SECRET_KEY))
    current = organization.export_integrations().get(project.id)
    if current is not None and target.matches(current):
        return f"project {project.name} ({project.id}) already exports {target.describe()}"
    organization.upsert_export(target.request(project.id))
    return f"project {project.name} ({project.id}) now exports {target.describe()}"


def main() -> int:
    try:
        print(configure(os.environ))
    except LangfuseError as error:
        print(f"langfuse-blob-exports: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
