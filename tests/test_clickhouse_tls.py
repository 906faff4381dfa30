"""TLS inside ClickHouse and hostname verification wherever a certificate is verified.

The names a client uses must be ones the service CA's certificate carries; a real TLS handshake (Python's
OpenSSL) against a certificate with exactly the service CA's names shows the FQDN the jobs now use passes
and the short name they used fails."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import xml.etree.ElementTree as ET

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import container, env_of, find, langfuse_pods


def _service_ca_names(service: str, namespace: str, headless: bool = False) -> list[str]:
    """What OpenShift's service CA puts in a Service's certificate (service-ca-operator,
    secret_creating_controller.go, certSubjectsForService)."""
    names = [f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local"]
    return names + ([f"*.{service}.{namespace}.svc", f"*.{service}.{namespace}.svc.cluster.local"] if headless else [])


def _job_env(plan, cronjob: str) -> dict:
    return env_of(container({"spec": find(plan, "CronJob", cronjob)["spec"]["jobTemplate"]["spec"]}))


# -- Hostname verification ----------------------------------------------------------------------------


def test_the_clickhouse_jobs_verify_chain_and_name_of_the_client_service_by_its_fqdn(plans):
    plan = plans["prod"]
    env = _job_env(plan, "langfuse-clickhouse-backup")
    chi = find(plan, "ClickHouseInstallation", "langfuse")["spec"]
    (service,) = chi["templates"]["serviceTemplates"]
    assert service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"] == "langfuse-clickhouse-tls"
    # The operator names the client Service clickhouse-<installation>; the job addresses it by a name its certificate carries.
    assert env["CLICKHOUSE_HOST"]["value"] == "clickhouse-langfuse.langfuse.svc" in _service_ca_names("clickhouse-langfuse", "langfuse")
    client = ET.fromstring(find(plan, "ConfigMap", "langfuse-clickhouse-backup")["data"]["client.xml"]).find("openSSL/client")
    assert client.findtext("verificationMode") == "strict"  # the chain, against the service CA only
    assert client.findtext("extendedVerification") == "true"  # the name: Poco's default is false
    assert client.findtext("loadDefaultCAFile") == "false"
    assert client.findtext("caConfig") == "/etc/clickhouse-client/ca/service-ca.crt"
    assert client.findtext("invalidCertificateHandler/name") == "RejectCertificateHandler"


@pytest.fixture(scope="module")
def service_ca_server(tmp_path_factory):
    """A TLS server presenting a certificate for clickhouse-langfuse with the service CA's names."""
    work = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openshift-service-serving-signer")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    names = _service_ca_names("clickhouse-langfuse", "langfuse")
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    (work / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (work / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (work / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(work / "tls.crt", work / "tls.key")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with server_ctx.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield port, work / "ca.crt"
    listener.close()


def _handshake(port: int, ca_file, name: str) -> None:
    ctx = ssl.create_default_context(cafile=str(ca_file))  # verifies chain and hostname, as extendedVerification does
    with socket.create_connection(("127.0.0.1", port)) as raw, ctx.wrap_socket(raw, server_hostname=name):
        pass


def test_a_real_handshake_accepts_the_jobs_fqdn_and_refuses_the_short_name_they_used(plans, service_ca_server):
    port, ca = service_ca_server
    _handshake(port, ca, _job_env(plans["prod"], "langfuse-clickhouse-backup")["CLICKHOUSE_HOST"]["value"])
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _handshake(port, ca, "clickhouse-langfuse")


def test_langfuse_reaches_every_store_by_a_name_its_certificate_carries_and_verifies_it(plans):
    (web,) = [pod for name, pod in langfuse_pods(plans["prod"]) if name.startswith("Deployment/langfuse-web")]
    env = env_of(web["containers"][0])
    value = lambda name: env[name]["value"]  # noqa: E731
    # ClickHouse: @clickhouse/client over Node's https, which checks the chain (NODE_EXTRA_CA_CERTS) and the name.
    assert value("CLICKHOUSE_URL") == "https://clickhouse-langfuse.langfuse.svc:8443"
    assert value("NODE_EXTRA_CA_CERTS") == "/etc/langfuse/tls/trusted/ca-bundle.crt"
    # Redis: ioredis hands its tls options to Node's tls.connect, whose defaults verify chain and name; Langfuse
    # turns them off only when told (packages/shared/src/server/redis/redis.ts, v4.16.0), and nothing tells it.
    assert value("REDIS_TLS_ENABLED") == value("REDIS_SENTINEL_TLS_ENABLED") == "true"
    assert not {"REDIS_TLS_REJECT_UNAUTHORIZED", "REDIS_TLS_CHECK_SERVER_IDENTITY", "REDIS_TLS_SERVERNAME"} & set(env)
    sentinels = value("REDIS_SENTINEL_NODES").split(",")
    assert sentinels and all(n.split(":")[0].endswith(".langfuse-sentinel-headless.langfuse.svc") for n in sentinels)
    # PostgreSQL: Prisma's engine (quaint) with sslaccept=strict accepts no invalid certificate and never turns
    # native-tls's hostname check off (quaint/src/connector/postgres/native/mod.rs).
    assert value("DATABASE_HOST") == "langfuse-postgres-rw.langfuse.svc:5432"
    assert "sslaccept=strict" in value("DATABASE_ARGS") and "sslcert=" in value("DATABASE_ARGS")


def test_the_probes_verify_the_name_of_every_target(plans):
    config = yaml.safe_load(find(plans["prod"], "ConfigMap", "langfuse-blackbox-exporter")["data"]["blackbox.yaml"])
    for name, module in config["modules"].items():
        tls = module.get("http", module.get("tcp", {})).get("tls_config", {})
        # blackbox_exporter's tls_config verifies the name against the target host unless told otherwise.
        assert "insecure_skip_verify" not in tls and "server_name" not in tls and tls["ca_file"], name
    targets = [
        t for p in ("langfuse-https-service", "langfuse-tls-service") for t in find(plans["prod"], "Probe", p)["spec"]["targets"]["staticConfig"]["static"]
    ]
    hosts = [t.split("//")[-1].split(":")[0] for t in targets]
    assert "clickhouse-langfuse.langfuse.svc" in hosts
    assert all(h.endswith(".langfuse.svc") and not _is_ip(h) for h in hosts)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- TLS inside ClickHouse ----------------------------------------------------------------------------


def test_clickhouse_listens_on_tls_ports_only_and_replicates_over_https(plans):
    chi = find(plans["prod"], "ClickHouseInstallation", "langfuse")["spec"]
    (cluster,) = chi["configuration"]["clusters"]
    assert (cluster["secure"], cluster["insecure"]) == ("yes", "no")
    settings = chi["configuration"]["settings"]
    # The image's config.xml opens 8123, 9000 and 9009; the operator writes `_removed_` as remove="1".
    assert {k: settings[k] for k in ("tcp_port", "http_port", "interserver_http_port")} == dict.fromkeys(("tcp_port", "http_port", "interserver_http_port"), "_removed_")
    assert (settings["https_port"], settings["tcp_port_secure"], settings["interserver_https_port"]) == (8443, 9440, 9010)
    client = ET.fromstring(chi["configuration"]["files"]["config.d/openssl.xml"]).find("openSSL/client")
    assert client.findtext("verificationMode") == "strict" and client.findtext("caConfig") == "/etc/clickhouse-server/service-ca/service-ca.crt"
    assert client.findtext("loadDefaultCAFile") == "true"  # S3's public certificates
    assert client.findtext("extendedVerification") == "false"  # see SERVER_CLIENT_OPENSSL: Keeper breaks on 26.3.33.24
    mounts = chi["templates"]["podTemplates"][0]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "service-ca", "mountPath": "/etc/clickhouse-server/service-ca", "readOnly": True} in mounts
    assert chi["configuration"]["zookeeper"]["nodes"] == [{"host": "keeper-langfuse.langfuse.svc", "port": 2281, "secure": "1"}]


def test_keeper_serves_clients_and_raft_over_tls_with_the_service_ca_s_certificate(plans):
    chk = find(plans["prod"], "ClickHouseKeeperInstallation", "langfuse")["spec"]
    settings = chk["configuration"]["settings"]
    assert settings["keeper_server/tcp_port"] == "_removed_"  # the operator's default config opens 2181
    assert settings["keeper_server/tcp_port_secure"] == "2281" and settings["keeper_server/raft_configuration/secure"] == "true"
    assert settings["openSSL/server/certificateFile"] == "/etc/clickhouse-keeper/tls/tls.crt"
    (service,) = chk["templates"]["serviceTemplates"]
    assert chk["defaults"]["templates"]["serviceTemplate"] == service["name"]
    assert service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"] == "langfuse-keeper-tls"
    assert {p["port"] for p in service["spec"]["ports"]} == {2281, 9444}
    spec = chk["templates"]["podTemplates"][0]["spec"]
    assert {"name": "tls", "secret": {"secretName": "langfuse-keeper-tls"}} in spec["volumes"]
    # The operator's own liveness probe speaks `ruok` to 2181, which is closed.
    assert spec["containers"][0]["livenessProbe"]["tcpSocket"] == {"port": 2281}


def test_the_restore_drill_pod_has_nothing_of_the_serving_cluster(plans):
    plan = plans["prod"]
    pod = find(plan, "CronJob", "langfuse-clickhouse-restore-drill")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert not {"CLICKHOUSE_HOST", "CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"} & set(env)
    assert pod["serviceAccountName"] == "langfuse-clickhouse-restore-drill"
    annotations = find(plan, "ServiceAccount", "langfuse-clickhouse-restore-drill")["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"].endswith(":role/acme-langfuse-prod-clickhouse-restore-drill")
    (data,) = [v for v in pod["volumes"] if v["name"] == "data"]
    claim = data["ephemeral"]["volumeClaimTemplate"]["spec"]
    chi = find(plan, "ClickHouseInstallation", "langfuse")["spec"]
    (replica_volume,) = chi["templates"]["volumeClaimTemplates"]
    assert claim["resources"] == replica_volume["spec"]["resources"]  # room for what a replica holds
    config = ET.fromstring(find(plan, "ConfigMap", "langfuse-clickhouse-restore-drill")["data"]["config.xml"])
    assert [h.text for h in config.findall("listen_host")] == ["127.0.0.1"]
    assert [n.findtext("host") for n in config.findall("zookeeper/node")] == ["127.0.0.1"]  # its own embedded Keeper
