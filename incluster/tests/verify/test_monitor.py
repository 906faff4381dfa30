"""The round-trip monitor against the stand-in: its metrics after a passing and a failing round trip (parsed by
prometheus_client's own exposition parser), its loop stopping on SIGTERM mid-read-back, its settings."""

from __future__ import annotations

import logging
import math
import threading
import time

import pytest
from langfuse_incluster import contract
from langfuse_incluster.monitor.__main__ import MonitorSettings, from_environment, run_once, serve
from langfuse_incluster.monitor.metrics import RoundTripMetrics
from langfuse_incluster.verify.round_trip import RoundTrip, RoundTripSettings
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

LOG = logging.getLogger("test-monitor")


def _samples(metrics: RoundTripMetrics) -> dict[tuple[str, tuple], float]:
    text = generate_latest(metrics.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def test_a_passing_round_trip_is_exposed(langfuse, connection):
    langfuse.ingestion.delay = 0.3
    metrics = RoundTripMetrics()
    before = time.time()
    run_once(RoundTrip(connection, RoundTripSettings("monitor", 5)), metrics, LOG)
    samples = _samples(metrics)
    assert samples[(contract.ROUND_TRIP_SUCCESS_METRIC, ())] == 1
    assert 0.3 <= samples[(contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC, ())] < 5
    assert samples[(contract.ROUND_TRIP_SECONDS_METRIC, ())] >= samples[(contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC, ())]
    assert samples[(contract.ROUND_TRIP_LAST_RUN_METRIC, ())] >= before
    steps = {dict(labels)["step"] for name, labels in samples if name == contract.ROUND_TRIP_STEP_SECONDS_METRIC}
    assert steps == {"health", "readiness", "authenticate", "ingest", "read-back"}  # no AWS role: no event-objects
    failures = {dict(labels)["step"]: v for (name, labels), v in samples.items() if name == contract.ROUND_TRIP_FAILURES_METRIC}
    assert failures == dict.fromkeys(steps, 0)


def test_a_failing_round_trip_counts_its_step_and_reports_the_bound_passed(langfuse, connection):
    langfuse.ingestion.stuck = True
    metrics = RoundTripMetrics()
    run_once(RoundTrip(connection, RoundTripSettings("monitor", 1)), metrics, LOG)
    samples = _samples(metrics)
    assert samples[(contract.ROUND_TRIP_SUCCESS_METRIC, ())] == 0
    assert samples[(contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC, ())] == math.inf
    assert samples[(contract.ROUND_TRIP_FAILURES_METRIC, (("step", "read-back"),))] == 1
    assert samples[(contract.ROUND_TRIP_FAILURES_METRIC, (("step", "health"),))] == 0


def test_a_round_trip_failing_before_ingest_has_no_latency(langfuse, connection):
    langfuse.ingestion.healthy = False
    metrics = RoundTripMetrics()
    run_once(RoundTrip(connection, RoundTripSettings("monitor", 1)), metrics, LOG)
    samples = _samples(metrics)
    assert math.isnan(samples[(contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC, ())])
    assert samples[(contract.ROUND_TRIP_FAILURES_METRIC, (("step", "health"),))] == 1


def test_the_loop_runs_until_stopped_even_mid_read_back(langfuse):
    langfuse.ingestion.stuck = True  # the read-back waits for its whole bound unless stopped
    settings = MonitorSettings(langfuse.url, langfuse.key.public_key, langfuse.key.secret_key, interval_seconds=600, read_back_seconds=300, ca_file=None)
    metrics, stop = RoundTripMetrics(), threading.Event()
    loop = threading.Thread(target=serve, args=(settings, metrics, stop, LOG))
    loop.start()
    deadline = time.monotonic() + 10
    while not any(c.path == "/api/public/v2/observations" for c in langfuse.calls) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    loop.join(timeout=5)
    assert not loop.is_alive()


def test_settings_come_from_the_deployment_s_environment():
    env = {
        contract.ENV_MONITOR_URL: "https://langfuse.apps.example.com", contract.ENV_PUBLIC_KEY: "pk-lf-1", contract.ENV_SECRET_KEY: "sk-lf-1",
        contract.ENV_MONITOR_INTERVAL_SECONDS: "300", contract.ENV_MONITOR_READ_BACK_SECONDS: "120", contract.ENV_MONITOR_CA_FILE: "/etc/ca.crt",
    }  # fmt: skip
    assert from_environment(env) == MonitorSettings("https://langfuse.apps.example.com", "pk-lf-1", "sk-lf-1", 300, 120, "/etc/ca.crt")
    with pytest.raises(SystemExit, match=f"^{contract.MONITOR_NAME}: environment variable {contract.ENV_SECRET_KEY} is required$"):
        from_environment({k: v for k, v in env.items() if k != contract.ENV_SECRET_KEY})
    with pytest.raises(SystemExit, match=f"^{contract.MONITOR_NAME}: {contract.ENV_MONITOR_INTERVAL_SECONDS}='soon' is not a number of seconds$"):
        from_environment(env | {contract.ENV_MONITOR_INTERVAL_SECONDS: "soon"})


def _tls_files(directory) -> tuple[str, str, str]:
    """A CA and a certificate for 127.0.0.1 it signed (the Route's certificate and the cluster's CA bundle)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))  # fmt: skip
    paths = [directory / "ca.crt", directory / "tls.crt", directory / "tls.key"]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tuple(str(p) for p in paths)  # type: ignore[return-value]


def test_over_tls_both_transports_trust_the_ca_file_and_only_it(langfuse, tmp_path, monkeypatch):
    from langfuse_incluster.verify.connection import LangfuseConnection
    from werkzeug.serving import make_server

    ca, cert, key = _tls_files(tmp_path)
    server = make_server("127.0.0.1", 0, langfuse._wsgi, threaded=True, ssl_context=(cert, key))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")  # must not override the CA file
    try:
        connection = LangfuseConnection(url, langfuse.key.public_key, langfuse.key.secret_key, ca_file=ca, max_retries=0)
        try:
            report = RoundTrip(connection, RoundTripSettings("tls", 5)).run()  # OTLP (requests) and API (httpx) over TLS
        finally:
            connection.close()
        assert report.ok, report.headline()
        other = langfuse.add_key(langfuse.project.id)  # the SDK keeps one client per public key and process
        untrusted = LangfuseConnection(url, other.public_key, other.secret_key, max_retries=0)
        try:
            failed = RoundTrip(untrusted, RoundTripSettings("tls", 5)).run().failed
        finally:
            untrusted.close()
        assert failed.name == "health" and failed.detail.startswith(f"{url} is unreachable: ") and "CERTIFICATE_VERIFY_FAILED" in failed.detail
    finally:
        server.shutdown()
        server.server_close()
