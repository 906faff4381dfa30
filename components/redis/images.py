"""Valkey 8.1 (BSD-licensed, Redis 7.2-compatible; Langfuse needs Redis/Valkey >= 7 with noeviction and
recommends 7.2 for v4). Digest of the multi-arch tag as recorded by two independent public pins."""

VALKEY = "docker.io/valkey/valkey:8.1.10@sha256:640c5e62cea04b6d6f2084232651d0cc70362d31f4f805e7be94dbed6855e8f2"
# Public pin (oliver006/redis_exporter v1.87.0); verify with `skopeo inspect` before the first deploy.
REDIS_EXPORTER = "docker.io/oliver006/redis_exporter:v1.87.0-alpine@sha256:1a286dba9547b0aa3ebd4e4106fa52ad67c754dcd7cb744eb745e41d48b252ad"
