"""Entry point of `pulumi preview --policy-pack policies`: the pack directory is on sys.path here."""

from pack import POLICY_PACK_NAME, pack_policies
from pulumi_policy import PolicyPack

PolicyPack(name=POLICY_PACK_NAME, policies=pack_policies())
