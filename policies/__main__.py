"""Entry point of `pulumi preview --policy-pack policies`: the pack directory is on sys.path here."""

from pulumi_policy import PolicyPack

from pack import POLICY_PACK_NAME, pack_policies

PolicyPack(name=POLICY_PACK_NAME, policies=pack_policies())
