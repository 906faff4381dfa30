"""Entry point of `pulumi preview --policy-pack policies`: Pulumi runs the pack directory with
`runpy.run_path(<dir>)` (pulumi/policy/__main__.py), which puts the directory on sys.path and sets __file__. The rules
also read the components' contracts (stdlib-only leaves: the tags and labels the program sets,
components/*/contract.py), so the repository the pack is run from goes on the path too; the pack's own virtualenv
needs nothing more."""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))

from pack import POLICY_PACK_NAME, pack_policies
from pulumi_policy import PolicyPack

PolicyPack(name=POLICY_PACK_NAME, policies=pack_policies())
