"""What a reviewer opens: values only AWS knows are marked as computed (never a made-up ARN that looks real), every
plan folder says where to start reading, and the reachability table explains its canary."""

from __future__ import annotations

import re

from infra.offline_plan.plan import PLAN_README, REACHABILITY_FILE
from infra.offline_plan.reachability import CANARY_ADDRESS
from tests.conftest import find


def test_no_stand_in_of_a_computed_value_reaches_a_file_and_each_is_marked(plans):
    for stack, plan in plans.items():
        files = plan.files()
        text = "".join(files.values())
        assert plan.computed, stack
        leaked = [value for value in plan.computed if value in text]
        assert leaked == [], stack
    prod = plans["prod"].files()
    web = prod["kubernetes/langfuse/web/workload/deployment-langfuse-langfuse-web.yaml"]
    assert "value: '<computed: arn of aws:kms/key:Key data-key>'" in web
    # Inside a policy document too (a JSON string in the inputs).
    assert re.search(r'"Resource": "<computed: arn of aws:kms/key:Key data-key>"', prod["resources/aws.yaml"])
    assert "<computed: arn of aws:secretsmanager/secret:Secret" in prod["resources/aws.yaml"]


def test_validation_and_policies_saw_a_value_of_the_real_form(plans):
    """The objects the validators and the policy pack read keep the stand-in, an ARN of AWS's form."""
    storage_class = find(plans["cluster-prod"], "StorageClass", "langfuse-gp3-encrypted")
    assert re.fullmatch(r"arn:aws:kms:eu-west-1:777788889999:key/[0-9a-f-]{36}", storage_class["parameters"]["kmsKeyId"])
    assert (
        "<computed: arn of aws:kms/key:Key"
        in plans["cluster-prod"].files()["kubernetes/storage/storageclass-langfuse-gp3-encrypted.yaml"]
    )


def test_every_plan_folder_says_where_to_start_reading(plans):
    for stack, plan in plans.items():
        files = plan.files()
        readme = files[PLAN_README]
        assert readme.startswith(f"# Offline plan of stack {stack}\n"), stack
        named = re.findall(r"^\d+\. `([^`<]+)`", readme, re.MULTILINE)
        assert [name for name in named if name not in files and name != "diff.md"] == [], stack


def test_the_reachability_table_explains_its_canary(plans):
    text = plans["dev"].files()[REACHABILITY_FILE]
    head = text.split("| source |")[0]
    assert f"`ip:{CANARY_ADDRESS}` is a canary" in head and "TEST-NET-2" in head
    assert f"| ip:{CANARY_ADDRESS} |" in text  # dev lets 443 out to any address
