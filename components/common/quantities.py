"""Kubernetes CPU and memory quantities as this project writes them: whole cores or millicores ('2', '500m'),
and Mi or Gi ('1536Mi', '4Gi'). Stdlib only: the stack config validates with these, components render with them."""

from __future__ import annotations

import re

CPU_QUANTITY = re.compile(r"^(\d+)(m?)$")
MEMORY_QUANTITY = re.compile(r"^(\d+)(Mi|Gi)$")  # the stack config's JSON Schema shows this pattern


def cpu_millicores(v: str) -> int:
    """'2' -> 2000, '500m' -> 500."""
    match = CPU_QUANTITY.match(v)
    if not match:
        raise ValueError("must be a CPU quantity like '500m' or '2'")
    amount = int(match.group(1))
    return amount if match.group(2) else amount * 1000


def memory_mib(v: str) -> int:
    """'4Gi' -> 4096, '1536Mi' -> 1536."""
    match = MEMORY_QUANTITY.match(v)
    if not match:
        raise ValueError("must be a memory quantity in Mi or Gi, like '4Gi' or '1536Mi'")
    amount = int(match.group(1))
    return amount * 1024 if match.group(2) == "Gi" else amount
