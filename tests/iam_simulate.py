"""A second opinion on the AWS access matrix: every row decided again by cloud-copilot's iam-simulate (npm, pinned in
tests/iam-simulate/package-lock.json, installed by scripts/bootstrap), a maintained evaluator that also checks
the request against AWS's IAM data: the action exists, the resource ARN is of a type the action takes, each
context key is one the action or every request carries. The row carries exactly what Principal Mapper decided on
(infra/offline_plan/access_matrix.Row); one node process decides every row it is given.

iam-simulate drops a context key it does not find for the action and evaluates without it. Two kinds of key are
dropped that AWS does evaluate; each is accepted only in that exact form, and the row is then decided on its
context as given (the same engine, runUnsafeSimulation):
- a key whose template AWS's IAM data lists for the action: `kms:EncryptionContext:aws:s3:arn` is
  `kms:EncryptionContext:${EncryptionContextKey}` (iam-simulate 0.1.173 matches a key to a template only after
  a "/", simulationEngine.js listHasVariableKeyMatch, so a ":"-separated template is missed);
- the claims of the cluster's OIDC provider in sts:AssumeRoleWithWebIdentity, `<provider URL>:sub` and
  `:aud`: AWS documents them for any OIDC provider (IAM User Guide, "IAM and AWS STS condition context keys",
  Available keys for AWS OIDC federation: amr, aud, azp, email, oaud, sub), while AWS's IAM data lists them
  only for named providers (GitHub, Google, ...).
Anything else dropped is a key AWS would not send for that request: a defect in the catalogue.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.offline_plan.access_matrix import Row
from infra.offline_plan.iam_evaluator import Principal
from tests.conftest import project_path

IAM_SIMULATE = project_path("tests", "iam-simulate")
OIDC_CLAIMS = ("amr", "aud", "azp", "email", "oaud", "sub")


@dataclass(frozen=True)
class SecondOpinion:
    allowed: bool | None  # None when iam-simulate refused to evaluate (errors)
    errors: Any  # iam-simulate's validation errors, or None
    unexplained_keys: tuple[str, ...]  # context keys dropped that neither rule above accounts for
    engines_agree: bool  # the validated and the as-given evaluation agree where nothing was dropped


def principal_arn(principal: Principal) -> str:
    """What AWS sees as the caller: a role's pods call with a session of the role; services and the OIDC provider
    are named as in a policy's Principal."""
    if principal.kind == "role":
        account, name = principal.name.split(":")[4], principal.name.rsplit("/", 1)[1]
        return f"arn:aws:sts::{account}:assumed-role/{name}/langfuse-rosa"
    return principal.name


def simulation(row: Row) -> dict[str, Any]:
    r = row.request
    return {
        "request": {
            "principal": principal_arn(r.principal),
            "action": r.action,
            "resource": {"resource": r.resource, "accountId": row.resource_account},
            "contextVariables": dict(r.context),
        },
        "identityPolicies": [{"name": f"identity policy {i}", "policy": doc} for i, doc in enumerate(row.identity_policies)],
        "serviceControlPolicies": [],
        "resourceControlPolicies": [],
        **({"resourcePolicy": row.resource_policy} if row.resource_policy is not None else {}),
    }


def _accounted(dropped: Mapping[str, Any], row: Row) -> bool:
    if dropped["forAction"]:
        return True
    principal = row.request.principal
    if principal.kind == "web-identity" and row.request.action == "sts:AssumeRoleWithWebIdentity":
        provider_url = principal.name.split(":oidc-provider/", 1)[1]
        return dropped["key"] in {f"{provider_url}:{claim}" for claim in OIDC_CLAIMS}
    return False


def second_opinions(rows: Mapping[str, Row]) -> dict[str, SecondOpinion]:
    """iam-simulate's decision on every row, keyed as given; one node process for all of them."""
    node = shutil.which("node")
    assert node, "node is missing"
    assert (IAM_SIMULATE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir(), "scripts/bootstrap installs iam-simulate (npm ci)"
    given = [{"id": key, "simulation": simulation(row)} for key, row in rows.items()]
    result = subprocess.run([node, "simulate.mjs"], cwd=IAM_SIMULATE, input=json.dumps(given), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    opinions = {}
    for decided in json.loads(result.stdout):
        row = rows[decided["id"]]
        dropped = decided["dropped"]
        decision = decided["exact"] if dropped else decided["validated"]
        opinions[decided["id"]] = SecondOpinion(
            allowed=None if decided["errors"] else decision == "Allowed",
            errors=decided["errors"],
            unexplained_keys=tuple(d["key"] for d in dropped if not _accounted(d, row)),
            engines_agree=bool(dropped) or decided["errors"] is not None or decided["validated"] == decided["exact"],
        )
    return opinions


def disagreements(rows: Mapping[str, Row], opinions: Mapping[str, SecondOpinion]) -> list[str]:
    """Every row where the two evaluators differ or iam-simulate finds the request or its policies invalid."""
    found = []
    for key, row in rows.items():
        opinion = opinions[key]
        if opinion.errors:
            found.append(f"{key}: iam-simulate refuses it: {json.dumps(opinion.errors)}")
        if opinion.unexplained_keys:
            found.append(f"{key}: context keys AWS does not know for {row.request.action}: {', '.join(opinion.unexplained_keys)}")
        if not opinion.engines_agree:
            found.append(f"{key}: iam-simulate's validated and as-given evaluations differ")
        if opinion.allowed is not None and opinion.allowed != row.allowed:
            found.append(f"{key}: Principal Mapper {'allows' if row.allowed else 'denies'}, iam-simulate {'allows' if opinion.allowed else 'denies'}")
    return found


def keyed(stack: str, rows: Iterable[Row]) -> dict[str, Row]:
    return {f"{stack} | {row.request.id}": row for row in rows}
