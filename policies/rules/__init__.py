"""Policy rules as plain functions over (resource type, inputs): the same code runs in CrossGuard and in
the offline plan."""

from .base import Rule
from .kubernetes_hardening import RULES as KUBERNETES_HARDENING

ALL_RULES: tuple[Rule, ...] = KUBERNETES_HARDENING

__all__ = ["ALL_RULES", "Rule"]
