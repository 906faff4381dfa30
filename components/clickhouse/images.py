"""ClickHouse and Keeper images, pinned by version and digest (as recorded in public deployment notes,
Oct 2026). Langfuse v4 needs ClickHouse >= 25.12 and recommends 26.4; this is the 26.3 LTS line, chosen for
its support window. Move to the next LTS (26.8) once its digest is pinned here."""

CLICKHOUSE_SERVER = (
    "docker.io/clickhouse/clickhouse-server:26.3.33.24"
    "@sha256:810861a2e2d0188744f5f23b2d3ec9ff95812bcb9ddbb8fed13a377a7f305893"
)
CLICKHOUSE_KEEPER = (
    "docker.io/clickhouse/clickhouse-keeper:26.3.33.24"
    "@sha256:3fd59d9efb8c9e9136c3c924ceaa004f65c0b14699f34e4eae4eb63e2f860803"
)
