"""The extension of the platform's ProjectSettings CRD: spec.langfuse is the project's intent, status.langfuse
what the tenant controller observed. Added to the platform's own schema, nothing of it changed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

PLATFORM_DIR = Path(__file__).with_name("platform")
UPSTREAM_CRD = PLATFORM_DIR / "projectsettings-crd.yaml"
EXTENDED_CRD = PLATFORM_DIR / "projectsettings-crd-langfuse.yaml"

_TIME = {"type": "string", "format": "date-time"}

LANGFUSE_SPEC = {
    "type": "object",
    "description": "Langfuse for this project: a project of its own (Enterprise licence) and an API key pair in the Secret langfuse-keys",
    "properties": {
        "enabled": {"type": "boolean", "default": False, "description": "give this namespace a Langfuse project and keys"},
        "projectId": {"type": "string", "minLength": 1, "description": "adopt this existing Langfuse project instead of creating one"},
        "retentionDays": {
            "type": "integer", "minimum": 0, "maximum": 3650,
            "description": "data retention of the project in days: 0 keeps data forever; Langfuse accepts 0 or at least 3 (Enterprise: data-retention)",
        },
        "rotationDays": {"type": "integer", "minimum": 1, "maximum": 365, "description": "rotate the key after this many days (default: the controller's)"},
        "deletionPolicy": {
            "type": "string", "enum": ["Retain", "Delete"],
            "description": "when disabled or deleted: Retain keeps the Langfuse project and its data (default), Delete deletes a project the controller created",
        },
        # Types only: the values (positive, percentages ascending) are the controller's to judge, so a bad one is
        # a `Budget` condition that says why and which budget applies instead, not a bare API-server refusal.
        "budget": {
            "type": "object",
            "description": "the project's LLM spend budget (default: the stack's tenancy.usage.defaultBudget); alerts go to Slack",
            "required": ["monthlyUsd"],
            "properties": {
                "monthlyUsd": {"type": "number", "description": "budget per calendar month (UTC) in USD"},
                "thresholds": {
                    "type": "array", "maxItems": 10, "items": {"type": "integer"},
                    "description": "percentages of the budget that alert, ascending (default [50, 80, 100]; 100 and above are critical)",
                },
                "highCostUsd": {"type": "number", "description": "one trace or session costing more than this in a day alerts"},
            },
        },
    },
}

_KEY = {
    "type": "object",
    "required": ["id", "publicKey", "projectId", "createdAt"],
    "properties": {"id": {"type": "string"}, "publicKey": {"type": "string"}, "projectId": {"type": "string"}, "createdAt": _TIME, "retiredAt": _TIME},
}

LANGFUSE_STATUS = {
    "type": "object",
    "description": "what the tenant controller observed",
    "properties": {
        "projectId": {"type": "string"},
        "projectName": {"type": "string"},
        "projectCreated": {"type": "boolean", "description": "the controller created the project (only such a project may be deleted by policy)"},
        "retentionDays": {"type": "integer"},
        "isolated": {"type": "boolean", "description": "false when every namespace shares one project (no Enterprise licence)"},
        "currentKey": _KEY,
        "retiringKeys": {"type": "array", "items": _KEY, "description": "replaced keys, deleted after the overlap"},
        "rotateToken": {"type": "string"},
        "observedGeneration": {"type": "integer"},
        "conditions": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
            "items": {
                "type": "object",
                "required": ["type", "status", "reason", "message", "lastTransitionTime"],
                "properties": {
                    "type": {"type": "string", "enum": ["Ready", "Isolated", "RetentionApplied", "Budget"]},
                    "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                    "reason": {"type": "string", "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"},
                    "message": {"type": "string", "maxLength": 32768},
                    "lastTransitionTime": _TIME,
                },
            },
        },
    },
}


def extended_crd(upstream: dict) -> dict:
    crd = copy.deepcopy(upstream)
    for version in crd["spec"]["versions"]:
        schema = version["schema"]["openAPIV3Schema"]["properties"]
        schema["spec"]["properties"]["langfuse"] = copy.deepcopy(LANGFUSE_SPEC)
        schema["status"]["properties"]["langfuse"] = copy.deepcopy(LANGFUSE_STATUS)
    return crd


def render_extended_crd() -> str:
    crd = extended_crd(yaml.safe_load(UPSTREAM_CRD.read_text()))
    header = (
        "# Generated by scripts/extend-projectsettings-crd: the platform's ProjectSettings CRD (projectsettings-crd.yaml,\n"
        "# ambient-code/platform 0b59fe7, MIT) with spec.langfuse and status.langfuse added. Apply it in place of the platform's.\n"
    )
    return header + yaml.safe_dump(crd, sort_keys=False, width=120)


SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "crds" / "vteam.ambient-code" / "projectsettings_v1alpha1.json"


def render_schema() -> str:
    """The extended openAPIV3Schema as a JSON Schema for the plan. The platform's schema leaves out the fields
    every object has (apiVersion, kind, metadata), which the API server implies; they are added here, as the
    datree catalog's schemas have them."""
    crd = extended_crd(yaml.safe_load(UPSTREAM_CRD.read_text()))
    schema = copy.deepcopy(next(v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"))
    schema["properties"] = {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}, **schema["properties"]
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
