"""The CrossGuard policy pack. Rules are plain functions in `policies.rules`, shared with the offline plan."""
