"""Policy rules as plain functions over (resource type, inputs) or over all of a stack's resources: the same
code runs in CrossGuard and in the offline plan."""

from .audit import RULES as AUDIT
from .audit_record import RULES as AUDIT_RECORD
from .audit_trail import RULES as AUDIT_TRAIL
from .availability import RULES as HIGH_AVAILABILITY
from .backups import RULES as BACKUPS
from .base import Rule, Setting, Subject
from .encryption import RULES as ENCRYPTION_AT_REST
from .kubernetes_hardening import RULES as KUBERNETES_HARDENING
from .transit import RULES as ENCRYPTION_IN_TRANSIT

ALL_RULES: tuple[Rule, ...] = (
    ENCRYPTION_AT_REST + ENCRYPTION_IN_TRANSIT + AUDIT + AUDIT_TRAIL + AUDIT_RECORD + KUBERNETES_HARDENING + HIGH_AVAILABILITY + BACKUPS
)

__all__ = ["ALL_RULES", "Rule", "Setting", "Subject"]
