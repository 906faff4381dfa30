"""What deploys the tenant controller (the in-cluster package langfuse_incluster): the ProjectSettings CRD
extension, the controller's Deployment, RBAC and admission policy. Imports only the package's contract."""

from components.tenancy.controller import TenantController, TenantControllerArgs

__all__ = ["TenantController", "TenantControllerArgs"]
