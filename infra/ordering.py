"""Creation order between the program's steps."""

from __future__ import annotations

import pulumi


def after(opts: pulumi.ResourceOptions, *resources: pulumi.Resource) -> pulumi.ResourceOptions:
    """`opts`, for resources created after `resources`. Pulumi waits for a component's every child, so "after the
    namespace" means after everything the namespace component created."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(resources)))
