"""What deploys the tenant controller (the in-cluster package langfuse_incluster): the ProjectSettings CRD
extension, the controller's Deployment, RBAC and admission policy, and cost and usage reporting (usage.py). Imports only the package's contract."""

from components.tenancy.controller import TenantController, TenantControllerArgs
from components.tenancy.usage import UsageReporting, UsageReportingArgs

__all__ = ["TenantController", "TenantControllerArgs", "UsageReporting", "UsageReportingArgs"]
