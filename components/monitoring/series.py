"""Which series can exist in an environment namespace, so that an alert reads only what its stack deploys.

Each scrape configuration's owner declares, next to its PodMonitor, ServiceMonitor or Probe, the series it
brings in (ExportedSeries: at least those alerts read). The platform's series are declared here, each with the
object it describes: OpenShift's platform monitoring scrapes kube-state-metrics and the kubelet, and a user
namespace's rules, evaluated by Thanos Ruler, may read those "default metrics from core platform monitoring"
beside the namespace's own (OpenShift docs, "About creating alerting rules for user-defined projects").
tests/monitoring/test_alert_series.py parses every rendered rule of every stack and checks each selector
against both.
Stdlib only, so every owner can import it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportedSeries:
    """The series one scrape configuration brings into the namespace, as its owner declares them."""

    kind: str  # PodMonitor | ServiceMonitor | Probe
    name: str  # the scrape configuration's app.kubernetes.io/name label, by which a plan's test finds it
    series: frozenset[str]  # the owner's comment above it says where the names come from


@dataclass(frozen=True)
class PlatformSeries:
    """A series the platform exports for each object of `kind` in the namespace, naming it in `label`."""

    kind: str
    label: str
    source: str


_KSM = "kube-state-metrics docs/metrics/workload/"
_KUBELET = "kubelet, pkg/kubelet/metrics/collectors/volume_stats.go (labels namespace, persistentvolumeclaim)"

PLATFORM_SERIES: dict[str, PlatformSeries] = {
    "kube_deployment_status_replicas_available": PlatformSeries("Deployment", "deployment", _KSM + "deployment-metrics.md"),
    "kube_deployment_spec_replicas": PlatformSeries("Deployment", "deployment", _KSM + "deployment-metrics.md"),
    "kube_horizontalpodautoscaler_status_current_replicas": PlatformSeries(
        "HorizontalPodAutoscaler", "horizontalpodautoscaler", _KSM + "horizontalpodautoscaler-metrics.md"
    ),
    "kube_horizontalpodautoscaler_spec_max_replicas": PlatformSeries(
        "HorizontalPodAutoscaler", "horizontalpodautoscaler", _KSM + "horizontalpodautoscaler-metrics.md"
    ),
    "kube_cronjob_status_last_successful_time": PlatformSeries("CronJob", "cronjob", _KSM + "cronjob-metrics.md (EXPERIMENTAL there)"),
    "kubelet_volume_stats_available_bytes": PlatformSeries("PersistentVolumeClaim", "persistentvolumeclaim", _KUBELET),
    "kubelet_volume_stats_capacity_bytes": PlatformSeries("PersistentVolumeClaim", "persistentvolumeclaim", _KUBELET),
}

# What OpenShift's kube-state-metrics (2.19.1) does not export: its two --metric-denylist arguments
# (openshift/cluster-monitoring-operator assets/kube-state-metrics/deployment.yaml at f581865b). Prometheus-style
# regexes, matched against the whole name. The kubelet ServiceMonitor's drops (assets/control-plane/
# service-monitor-kubelet.yaml) touch no kubelet_volume_stats_* series.
OPENSHIFT_KUBE_STATE_METRICS_DENYLIST: tuple[str, ...] = (
    r"kube_secret_labels",
    r"kube_.+_annotations",
    r"kube_customresource_.+_annotations_info",
    r"kube_customresource_.+_labels_info",
    r"kube_.+_created",
    r"kube_.+_metadata_resource_version",
    r"kube_replicaset_metadata_generation",
    r"kube_replicaset_status_observed_generation",
    r"kube_pod_restart_policy",
    r"kube_pod_init_container_status_terminated",
    r"kube_pod_init_container_status_running",
    r"kube_pod_container_status_terminated",
    r"kube_pod_container_status_running",
    r"kube_pod_completion_time",
    r"kube_pod_status_scheduled",
)
