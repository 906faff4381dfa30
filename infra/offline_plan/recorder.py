"""Mocks that record what the program registers, and answer like the engine would."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import mocks, rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _sync_await

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    dependencies: list[str]
    inputs: dict[str, Any]  # secrets still wrapped (rpc.is_rpc_secret), for redaction
    options: dict[str, Any] = field(default_factory=dict)
    arn: str | None = None  # the ARN AWS assigns (the mocks' answer), for resources that have one
    region: str | None = None  # the AWS region its provider places it in


def computed_marker(attribute: str, resource_type: str, name: str) -> str:
    """How the plan shows a value the engine computes at `pulumi up`: `<computed: arn of aws:kms/key:Key data>`."""
    return f"<computed: {attribute} of {resource_type} {name}>"


class PlanMocks(mocks.Mocks):
    """Outputs = inputs, plus what providers compute that the program reads back: random values, and the
    ARNs and IDs AWS assigns, in the account and region of the provider the resource goes through."""

    def __init__(self) -> None:
        self.aws_accounts: dict[str, tuple[str, str]] = {}  # provider resource id -> (account, region)
        # Values only the engine knows (AWS assigns them at creation): the stand-in -> how the plan shows it.
        self.computed: dict[str, str] = {}

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        resource_id = f"{args.name}-id" if args.custom else None
        digest = hashlib.sha256(args.name.encode()).hexdigest()
        if args.typ.startswith("random:"):
            # Deterministic stand-ins; they only ever reach the plan as redacted secrets.
            outputs.update({"result": digest[:32], "hex": digest, "base64": digest})
        elif args.typ == "pulumi:providers:aws":
            allowed = args.inputs.get("allowedAccountIds")
            accounts = json.loads(allowed) if isinstance(allowed, str) else allowed
            self.aws_accounts[f"{args.name}-id"] = (accounts[0], args.inputs["region"])
        elif args.typ.startswith("aws:"):
            resource_id, computed = self._aws(args, digest)
            outputs.update(computed)
            outputs.setdefault("region", self.aws_accounts[(args.provider or "").rsplit("::", 1)[-1]][1])
        return resource_id, outputs

    def _aws(self, args: mocks.MockResourceArgs, digest: str) -> tuple[str, dict[str, Any]]:
        provider_id = (args.provider or "").rsplit("::", 1)[-1]
        if provider_id not in self.aws_accounts:
            # The program pins every AWS resource to a provider limited to the stack's account.
            raise ValueError(f"{args.typ} {args.name} does not go through the stack's AWS provider")
        account, region = self.aws_accounts[provider_id]
        inputs = args.inputs
        if args.typ == "aws:kms/key:Key":
            # A UUID AWS draws: the stand-in has its form (validation and policy evaluation need one), the plan
            # marks it (computed_marker).
            key_id = str(uuid.UUID(digest[:32]))
            arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
            self.computed[arn] = computed_marker("arn", args.typ, args.name)
            self.computed[key_id] = computed_marker("keyId", args.typ, args.name)
            return key_id, {"keyId": key_id, "arn": arn}
        if args.typ == "aws:s3/bucket:Bucket":
            bucket = inputs["bucket"]
            return bucket, {"arn": f"arn:aws:s3:::{bucket}", "region": region}
        if args.typ == "aws:iam/role:Role":
            return inputs["name"], {"arn": f"arn:aws:iam::{account}:role/{inputs['name']}"}
        if args.typ == "aws:iam/user:User":  # the user's id is its name in pulumi-aws
            return inputs["name"], {"arn": f"arn:aws:iam::{account}:user/{inputs['name']}"}
        if args.typ == "aws:sns/topic:Topic":
            arn = f"arn:aws:sns:{region}:{account}:{inputs['name']}"
            return arn, {"arn": arn}
        if args.typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            return inputs["name"], {"arn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{inputs['name']}"}
        if args.typ == "aws:cloudtrail/trail:Trail":
            arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{inputs['name']}"
            return arn, {"arn": arn}
        if args.typ == "aws:cloudwatch/logGroup:LogGroup":
            return inputs["name"], {"arn": f"arn:aws:logs:{region}:{account}:log-group:{inputs['name']}"}
        if args.typ == "aws:secretsmanager/secret:Secret":
            # Secrets Manager appends "-" and six random characters to the name in the ARN.
            arn = f"arn:aws:secretsmanager:{region}:{account}:secret:{inputs['name']}-{digest[:6]}"
            self.computed[arn] = computed_marker("arn", args.typ, args.name)
            return arn, {"arn": arn}
        return f"{args.name}-id", {}

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(mocks.MockMonitor):
    """MockMonitor that keeps every registration with its parent, dependencies and options.

    It also marks `additionalSecretOutputs` secret, as the engine does; the stock mock monitor drops them,
    which would let a generated password reach a rendered manifest unredacted.
    """

    def __init__(self, plan_mocks: mocks.Mocks) -> None:
        super().__init__(plan_mocks)
        self.registrations: dict[str, Registration] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)

        mocks._ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object)
        resource_id, state = self.mocks.new_resource(
            mocks.MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=inputs,
                provider=request.provider,
                resource_id=request.importId,
                custom=request.custom or False,
            )
        )
        for key in request.additionalSecretOutputs:
            if key in state:
                state[key] = rpc.wrap_rpc_secret(rpc.unwrap_rpc_secret(state[key]))
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        self.registrations[urn] = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            dependencies=sorted(set(request.dependencies)),
            inputs=inputs,
            options={
                "protect": bool(request.protect),
                "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                "customTimeouts": {
                    k: getattr(request.customTimeouts, k) for k in ("create", "update", "delete") if getattr(request.customTimeouts, k)
                },
            },
            arn=state.get("arn") if request.type.startswith("aws:") and isinstance(state.get("arn"), str) else None,
            region=state.get("region") if request.type.startswith("aws:") else None,
        )
        state_proto = _sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id or "", object=state_proto)
