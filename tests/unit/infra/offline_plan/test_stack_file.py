"""A stack file's config as the engine hands it to the program: namespaced keys, values as text."""

from __future__ import annotations

from infra.offline_plan.stack_file import read_stack_file


def test_a_value_reaches_the_program_as_the_engine_passes_it(tmp_path):
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  empty:\n  n: 2.0\n  b: true\n  o: {x: 2.0, y: 0.5, t: 2015-01-01, z: null}\n  aws:region: eu-west-1\n  p:config:k: v\n"
    )
    assert read_stack_file(tmp_path, "s").config == {
        "langfuse-rosa:empty": "", "langfuse-rosa:n": "2", "langfuse-rosa:b": "true", "aws:region": "eu-west-1", "p:k": "v",
        "langfuse-rosa:o": '{"t":"2015-01-01 00:00:00 +0000 UTC","x":2,"y":0.5,"z":null}',
    }  # fmt: skip
