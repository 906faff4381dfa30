"""Langfuse worker: processes the ingestion and background queues."""

from components.langfuse.worker.component import LangfuseWorker

__all__ = ["LangfuseWorker"]
