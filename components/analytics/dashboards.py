"""AnalyticsDashboards: the analytics cluster as a Grafana datasource (Grafana's ClickHouse plugin, which the
Grafana Operator installs from the datasource's `plugins`, pinned) and the dashboards of queries.BOARDS, built
with grafana-foundation-sdk.

The SDK has no builder for the ClickHouse plugin's queries, so each target is the plugin's own query model
(grafana/clickhouse-datasource v4.20.0, src/types/sql.ts CHSqlQuery: editorType "sql", rawSql, format 0 for
time series and 1 for tables, src/data/utils.ts mapQueryTypeToGrafanaFormat) carried by the SDK's
UnknownDataquery, its way of keeping a plugin's query it does not model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.table import Panel as Table
from grafana_foundation_sdk.builders.timeseries import Panel as TimeSeries
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.runtime import UnknownDataquery
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from components.analytics.cluster import PART_OF
from components.analytics.queries import BOARDS, Board, Panel
from components.analytics.schema import DATABASE
from components.clickhouse.contract import HTTPS_PORT
from components.common.labels import recommended_labels
from components.common.refs import ConfigMapKeyRef
from components.monitoring.contract import GRAFANA_INSTANCE_SELECTOR as INSTANCE_SELECTOR

PLUGIN = "grafana-clickhouse-datasource"
# Pinned (Grafana Operator: a plugin with a version is installed at exactly that version when Grafana starts).
# v4.20.0 (2026-07-20) needs Grafana >= 11.6 (its plugin.json), which 12.1.1 is.
PLUGIN_VERSION = "4.20.0"
DATASOURCE_UID = "analytics-clickhouse"
_DATASOURCE = DataSourceRef(type_val=PLUGIN, uid=DATASOURCE_UID)
FOLDER = "Langfuse analytics"


class ClickHouseQuery(Builder[UnknownDataquery]):
    def __init__(self, sql: str, table: bool, ref: str = "A") -> None:
        self._query = {
            "refId": ref,
            "datasource": {"type": PLUGIN, "uid": DATASOURCE_UID},
            "editorType": "sql",
            "rawSql": sql,
            "format": 1 if table else 0,
            "queryType": "table" if table else "timeseries",
            "pluginVersion": PLUGIN_VERSION,
        }

    def build(self) -> UnknownDataquery:
        return UnknownDataquery(dict(self._query))


def _panel(panel: Panel):
    builder = {"stat": Stat, "timeseries": TimeSeries, "table": Table}[panel.kind]()
    height = 4 if panel.kind == "stat" else 9
    return (
        builder.title(panel.title).unit(panel.unit).datasource(_DATASOURCE).span(panel.width).height(height)
        .with_target(ClickHouseQuery(panel.sql, table=panel.kind != "timeseries"))
    )


def dashboard(board: Board) -> dict:
    built = Dashboard(board.title).uid(board.uid).description(board.description).tags(["langfuse", "langfuse-rosa", "analytics"])
    built = built.refresh("5m").time("now-7d", "now").timezone("utc")
    for panel in board.panels:
        built = built.with_panel(_panel(panel))
    return json.loads(JSONEncoder(sort_keys=True).encode(built.build()))


@dataclass(frozen=True)
class AnalyticsDashboardsArgs:
    namespace: str
    host: str  # the analytics cluster's client Service FQDN (its certificate's name)
    credentials_secret: str  # username and password of the dashboards' read-only user
    service_ca_bundle: ConfigMapKeyRef  # signs the cluster's certificate


class AnalyticsDashboards(pulumi.ComponentResource):
    def __init__(self, name: str, args: AnalyticsDashboardsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:analytics:AnalyticsDashboards", name, None, opts)
        labels = recommended_labels("grafana", "analytics-dashboards", PART_OF)
        datasource = k8s.apiextensions.CustomResource(
            DATASOURCE_UID,
            api_version="grafana.integreatly.org/v1beta1",
            kind="GrafanaDatasource",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=DATASOURCE_UID, namespace=args.namespace, labels=labels),
            spec={
                "instanceSelector": {"matchLabels": INSTANCE_SELECTOR},
                "plugins": [{"name": PLUGIN, "version": PLUGIN_VERSION}],
                "datasource": {
                    "name": "Langfuse analytics (ClickHouse)",
                    "uid": DATASOURCE_UID,
                    "type": PLUGIN,
                    "access": "proxy",
                    "editable": False,
                    # The plugin's settings (src/types/config.ts CHConfig): HTTPS with the service CA verified.
                    "jsonData": {
                        "host": args.host,
                        "port": HTTPS_PORT,
                        "protocol": "http",
                        "secure": True,
                        "tlsSkipVerify": False,
                        "tlsAuthWithCACert": True,
                        "username": "${username}",
                        "defaultDatabase": DATABASE,
                    },
                    # The operator replaces `${<key>}` with the referenced key's value (grafana-operator
                    # controllers/datasource_controller.go, buildDatasourceModel).
                    "secureJsonData": {"password": "${password}", "tlsCACert": f"${{{args.service_ca_bundle.key}}}"},
                },
                "valuesFrom": [
                    {"targetPath": "jsonData.username", "valueFrom": {"secretKeyRef": {"name": args.credentials_secret, "key": "username"}}},
                    {"targetPath": "secureJsonData.password", "valueFrom": {"secretKeyRef": {"name": args.credentials_secret, "key": "password"}}},
                    {
                        "targetPath": "secureJsonData.tlsCACert",
                        "valueFrom": {"configMapKeyRef": {"name": args.service_ca_bundle.name, "key": args.service_ca_bundle.key}},
                    },
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        for board in BOARDS:
            content = dashboard(board)
            k8s.apiextensions.CustomResource(
                board.uid,
                api_version="grafana.integreatly.org/v1beta1",
                kind="GrafanaDashboard",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=board.uid, namespace=args.namespace, labels=labels),
                spec={"instanceSelector": {"matchLabels": INSTANCE_SELECTOR}, "folder": FOLDER, "json": json.dumps(content, sort_keys=True)},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[datasource]),
            )
        self.register_outputs({})
