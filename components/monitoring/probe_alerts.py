"""The endpoint probes' alerts (probes.py): an endpoint failing its probe, a certificate about to expire
(blackbox_exporter's probe_success and probe_ssl_earliest_cert_expiry)."""

from __future__ import annotations

from components.monitoring.alert import Alert, in_namespace


def probe_alerts(*, namespace: str) -> list[Alert]:
    ns = in_namespace(namespace)
    return [
        Alert(
            "CertificateExpiresSoon", "warning", f"probe_ssl_earliest_cert_expiry{{{ns}}} - time() < 14 * 86400", "1h",
            "The certificate of {{ $labels.instance }} expires in under 14 days",
            "The certificate chain served at {{ $labels.instance }} expires {{ $value | humanizeDuration }} from now.",
            "certificates", "certificates",
        ),
        Alert(
            "CertificateExpiresImminently", "critical", f"probe_ssl_earliest_cert_expiry{{{ns}}} - time() < 3 * 86400", "10m",
            "The certificate of {{ $labels.instance }} expires in under 3 days",
            "The certificate chain served at {{ $labels.instance }} expires {{ $value | humanizeDuration }} from now.",
            "certificates", "certificates",
        ),
        Alert(
            "EndpointProbeFailing", "critical", f"probe_success{{{ns}}} == 0", "5m",
            "{{ $labels.instance }} fails its probe",
            "The blackbox probe of {{ $labels.instance }} (TLS handshake and, for HTTPS, a 200) has failed for 5 minutes.",
            "certificates", "certificates",
        ),
    ]
