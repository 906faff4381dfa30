"""Valkey 8.1 (BSD-licensed, Redis 7.2-compatible; Langfuse needs Redis/Valkey >= 7 with noeviction and
recommends 7.2 for v4). Digest of the multi-arch tag as recorded by two independent public pins."""

VALKEY = "docker.io/valkey/valkey:8.1.10@sha256:640c5e62cea04b6d6f2084232651d0cc70362d31f4f805e7be94dbed6855e8f2"
