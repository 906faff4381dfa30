"""The daily export of Langfuse's audit_logs table into the audit bucket: append-only (a new object per window,
written only if its key is new), incremental by time, its watermark in a ConfigMap so a restart loses nothing."""
