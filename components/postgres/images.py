"""The images of the PostgreSQL tier, pinned by version and digest.

- PostgreSQL: CloudNativePG's `standard` flavour (PostgreSQL plus PGAudit, pgvector, all locales; no Barman
  Cloud: backups go through the Barman Cloud Plugin). The `system` flavour is deprecated and goes when the
  in-tree Barman Cloud does (cloudnative-pg/postgres-containers README, "Image Types"). The current 17 minor,
  17.11, as CloudNativePG's own image catalog pins it: cloudnative-pg/artifacts
  image-catalogs/catalog-standard-trixie.yaml at ce5057c5f37ca1727ebb4f18681094d10124d59b (2026-08-17).
- Barman Cloud Plugin v0.14.0 (cloudnative-pg/plugin-barman-cloud, tag v0.14.0 = 1e13020f, 2026-07-29): the
  plugin, deployed beside the operator, and the sidecar it injects into every instance pod (Barman 3.19.1,
  containers/sidecar-requirements.txt). The release workflow publishes both under the release tag (Taskfile.yml
  `manifest-internal`); the digests are the multi-arch index digests public pins of v0.14.0 record (found by
  exact-string code search: three unrelated repositories agree, one states they are the index, not a
  per-architecture manifest). Verify with `skopeo inspect --raw docker://<image>` before the first deploy.
"""

POSTGRES_MAJOR = 17
POSTGRES_IMAGE = (
    "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-standard-trixie"
    "@sha256:91e0de662d53895a45f1396f4ee1a75daeb0c26fc87853afc9c8f43e01fdaa21"
)
BARMAN_CLOUD_PLUGIN_VERSION = "0.14.0"
BARMAN_CLOUD_PLUGIN_IMAGE = (
    "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0@sha256:823a8893690980ba5830bbbb11196a35f695b0488db7d846abc33baebf32417c"
)
BARMAN_CLOUD_SIDECAR_IMAGE = (
    "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0"
    "@sha256:9880817c285c7afa4d195da2145064d21907405489ed6ec39abe59b1feb558a4"
)
