"""Typed stack configuration: parsed once, at the edge, into `StackConfig`."""

from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.errors import ConfigError
from infra.stack_config.loader import load_stack_config, parse_stack_config
from infra.stack_config.models import StackConfig

__all__ = ["ClusterStackConfig", "ConfigError", "StackConfig", "load_stack_config", "parse_stack_config"]
