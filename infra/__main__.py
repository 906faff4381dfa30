"""Entry point of `pulumi up` / `pulumi preview` (Pulumi.yaml: main: infra/)."""

from infra.program import main

main()
