"""Where verify's Langfuse key comes from: the SDK's environment variables, or a JSON secret in Secrets Manager
(boto3, imported only when asked: the in-cluster monitor reads its key from the environment)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from langfuse_incluster import contract
from langfuse_incluster.verify.errors import StepFailed


@dataclass(frozen=True)
class KeyPair:
    public_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class SecretsManagerKey:
    name: str
    region: str
    public_key_property: str = contract.KEY_SECRET_PUBLIC_PROPERTY
    secret_key_property: str = contract.KEY_SECRET_SECRET_PROPERTY

    def read(self) -> KeyPair:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = boto3.client("secretsmanager", region_name=self.region).get_secret_value(SecretId=self.name)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise StepFailed(f"Secrets Manager refused GetSecretValue of {self.name}: {details.get('Code')} ({details.get('Message')})") from None
        except BotoCoreError as error:
            raise StepFailed(f"Secrets Manager could not be asked for {self.name}: {error}") from None
        try:
            document = json.loads(answer.get("SecretString") or "")
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise StepFailed(f"secret {self.name} is not a JSON object with {self.public_key_property} and {self.secret_key_property}")
        values = [document.get(p) for p in (self.public_key_property, self.secret_key_property)]
        for prop, value, prefix in zip((self.public_key_property, self.secret_key_property), values, ("pk-lf-", "sk-lf-"), strict=True):
            if not isinstance(value, str) or not value.startswith(prefix):
                raise StepFailed(f"secret {self.name}: property {prop} is missing or not a Langfuse key ({prefix}...)")
        return KeyPair(*values)


def key_from_environment(env: dict[str, str] | None = None) -> KeyPair | None:
    env = dict(os.environ if env is None else env)
    public, secret = env.get(contract.ENV_PUBLIC_KEY, ""), env.get(contract.ENV_SECRET_KEY, "")
    return KeyPair(public, secret) if public and secret else None
