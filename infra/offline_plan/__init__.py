"""The offline plan: the real program under Pulumi's mocks, rendered, validated and summarised."""
