"""The rendered blackbox_exporter modules, run by Debian's blackbox_exporter against real TLS servers: a
trusted endpoint passes and reports its certificate's expiry (what CertificateExpiresSoon reads); an
endpoint whose certificate the CA did not sign fails."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import shutil
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.monitoring.probes import EXPORTED_SERIES, SERVICE_CA, TRUSTED_CA
from tests.conftest import find
from tests.local_servers import free_port

DAYS_LEFT = 10


def _ca(name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _server_cert(directory: Path, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], days: int) -> tuple[Path, Path, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca[0].subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca[1], hashes.SHA256())
    )
    cert_file, key_file = directory / f"server-{days}.crt", directory / f"server-{days}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file, cert


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's method name
        self.send_response(200 if self.path == "/api/public/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"status":"OK"}')

    def log_message(self, *args: object) -> None:
        pass


def _https_server(cert: Path, key: Path) -> http.server.HTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def setup(plans, tmp_path_factory) -> Iterator[dict]:
    binary = shutil.which("prometheus-blackbox-exporter")
    assert binary, "prometheus-blackbox-exporter is missing: scripts/bootstrap installs Debian's package"
    work = tmp_path_factory.mktemp("blackbox")
    trusted, other = _ca("service-ca"), _ca("someone-else")
    (work / "ca.crt").write_bytes(trusted[0].public_bytes(serialization.Encoding.PEM))
    good_cert, good_key, cert = _server_cert(work, trusted, DAYS_LEFT)
    bad_cert, bad_key, _ = _server_cert(work, other, 300)
    rendered = find(plans["prod"], "ConfigMap", "langfuse-blackbox-exporter")["data"]["blackbox.yaml"]
    assert TRUSTED_CA in rendered and SERVICE_CA in rendered
    config = work / "blackbox.yaml"
    config.write_text(rendered.replace(TRUSTED_CA, str(work / "ca.crt")).replace(SERVICE_CA, str(work / "ca.crt")))
    check = subprocess.run([binary, f"--config.file={config}", "--config.check"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    port = free_port()
    exporter = subprocess.Popen(
        [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    good, bad = _https_server(good_cert, good_key), _https_server(bad_cert, bad_key)
    try:
        yield {"port": port, "good": good.server_address[1], "bad": bad.server_address[1], "cert": cert}
    finally:
        exporter.kill()
        exporter.wait(timeout=10)
        good.shutdown()
        bad.shutdown()


def _probe(port: int, module: str, target: str) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/probe?" + urllib.parse.urlencode({"module": module, "target": target})
    deadline = time.monotonic() + 15
    while True:
        try:
            body = urllib.request.urlopen(url, timeout=15).read().decode()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in body.splitlines() if line and not line.startswith("#") and "{" not in line}


def test_tls_module_passes_a_trusted_endpoint_and_reports_its_expiry(setup):
    metrics = _probe(setup["port"], "tls_service", f"127.0.0.1:{setup['good']}")
    assert metrics["probe_success"] == 1
    assert metrics["probe_ssl_earliest_cert_expiry"] == setup["cert"].not_valid_after_utc.timestamp()
    days_left = (metrics["probe_ssl_earliest_cert_expiry"] - time.time()) / 86400
    assert DAYS_LEFT - 1 < days_left < 14  # what CertificateExpiresSoon fires on
    assert EXPORTED_SERIES.series <= metrics.keys()  # what the Probes are declared to bring in


def test_https_module_needs_tls_and_a_200(setup):
    metrics = _probe(setup["port"], "https_service", f"https://127.0.0.1:{setup['good']}/api/public/health")
    assert metrics["probe_success"] == 1 and metrics["probe_http_status_code"] == 200
    missing = _probe(setup["port"], "https_service", f"https://127.0.0.1:{setup['good']}/nothing-here")
    assert missing["probe_success"] == 0
    plain = _probe(setup["port"], "https_public", f"http://127.0.0.1:{setup['good']}/api/public/health")
    assert plain["probe_success"] == 0  # fail_if_not_ssl


def test_an_untrusted_certificate_fails_the_probe(setup):
    assert _probe(setup["port"], "tls_service", f"127.0.0.1:{setup['bad']}")["probe_success"] == 0
    assert _probe(setup["port"], "https_public", f"https://127.0.0.1:{setup['bad']}/api/public/health")["probe_success"] == 0


def test_probes_target_the_route_and_every_tls_service(plans):
    probes = {o.name: o.manifest["spec"] for o in plans["prod"].objects if o.kind == "Probe"}
    assert probes["langfuse-https-public"]["targets"]["staticConfig"]["static"] == ["https://langfuse.example.com/api/public/health"]
    assert probes["langfuse-https-service"]["targets"]["staticConfig"]["static"] == [
        "https://clickhouse-langfuse.langfuse.svc:8443/ping",
        "https://clickhouse-analytics.langfuse.svc:8443/ping",  # prod's analytics cluster
    ]
    tls = probes["langfuse-tls-service"]["targets"]["staticConfig"]["static"]
    assert sorted(tls) == sorted(
        [f"langfuse-redis-{i}.langfuse-redis-headless.langfuse.svc:6379" for i in range(3)]
        + [f"langfuse-sentinel-{i}.langfuse-sentinel-headless.langfuse.svc:26379" for i in range(3)]
    )
    assert all(p["prober"]["url"] == "langfuse-blackbox-exporter.langfuse.svc:9115" for p in probes.values())
    external = {o.name for o in plans["external"].objects if o.kind == "Probe"}
    assert external == {"langfuse-https-public"}
    assert yaml.safe_load(find(plans["prod"], "ConfigMap", "langfuse-blackbox-exporter")["data"]["blackbox.yaml"])["modules"]
