"""A stack file's values as Pulumi's YAML decoder (gopkg.in/yaml.v3) gives them."""

from __future__ import annotations

from infra.offline_plan.pulumi_yaml import load


def test_stack_files_read_with_pulumi_s_yaml_semantics():
    # yaml.v3 v3.0.1's own decode_test.go cases for interface{} targets, and Pulumi's handling of what they give.
    cases = {
        "v: true": True, "v: True": True, "v: 10": 10, "v: 0b10": 2, "v: 0xA": 10, "v: .1": 0.1, "v: -.1": -0.1, "v: 685_230.15": 685230.15,
        "v: 6.8523e+5": 685230.0, "v: +685_230": 685230, "v: 02472256": 685230, "v: -0o2472256": -685230, "v: 0x_0A_74_AE": 685230,
        "v: -0b1000000000000000000000000000000000000000000000000000000000000000": -(2**63), "v:": None, "v: ~": None, "v: null": None,
        "v: on": "on", "v: y": "y", "v: Off": "Off", "v: No": "No", "v: !!str 2015-01-01": "2015-01-01", 'v: "2015-01-01"': "2015-01-01",
        "v: 190:20:30": "190:20:30", "v: 1e400": "1e400",
    }  # fmt: skip
    assert {text: load(text)["v"] for text in cases} == cases
    assert load("v: 2015-01-01")["v"].go_string == "2015-01-01 00:00:00 +0000 UTC"
    assert load("v: 2015-02-24T18:19:39.12+02:00")["v"].go_string == "2015-02-24 18:19:39.12 +0200 +0200"
