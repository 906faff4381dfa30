"""The regions a stack may name are botocore's."""

from __future__ import annotations

import json
from pathlib import Path

import botocore

from infra.stack_config.aws_regions import AWS_REGIONS


def test_the_region_list_is_botocore_s():
    endpoints = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_text())
    assert AWS_REGIONS == tuple(sorted(r for p in endpoints["partitions"] if p["partition"] in ("aws", "aws-us-gov") for r in p["regions"]))
