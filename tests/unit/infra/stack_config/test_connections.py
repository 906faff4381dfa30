"""PostgreSQL's connection budget, derived from the stack's replicas and pools, and the error that shows its arithmetic."""

from __future__ import annotations

import pytest

from infra.offline_plan.stack_file import read_stack_file
from infra.stack_config import ConfigError, parse_stack_config
from infra.stack_config.loader import _namespace_values
from tests.conftest import project_path


def test_prod_at_postgresql_s_default_max_connections_is_refused_with_its_arithmetic():
    """CloudNativePG leaves max_connections at PostgreSQL's 100 unless told otherwise; prod's ceiling (12 web and
    16 worker pods, plus a rollout's surge and drain) needs 331."""
    values = _namespace_values(read_stack_file(project_path("stacks"), "prod").config)
    values["dataTier"]["postgres"]["maxConnections"] = 100
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("prod", values)
    assert caught.value.lines == [
        "stack 'prod': langfuse-rosa:dataTier.postgres.maxConnections = 100 is invalid: must be at least 331: web 27 pods "
        "(12 max + 3 surge + 12 draining) × 5 + worker 36 pods (16 max + 4 surge + 16 draining) × 5 + 1 migration + 6 metrics "
        "exporter + 9 reserved for the operator (superuser_reserved_connections) = 331; or lower langfuse.web/worker "
        "replicas.max or postgresPoolSize"
    ]
    values["dataTier"]["postgres"]["maxConnections"] = 331
    assert parse_stack_config("prod", values).data_tier.postgres.max_connections == 331
