"""What deploys the in-cluster audit_logs export (langfuse_incluster.audit_export). Imports only the package's contract."""

from components.audit.export import LangfuseAuditExport, LangfuseAuditExportArgs

__all__ = ["LangfuseAuditExport", "LangfuseAuditExportArgs"]
