"""Langfuse web: the UI and the public API, behind an OpenShift Route."""

from components.langfuse.web.component import LangfuseWeb, LangfuseWebArgs
from components.langfuse.web.route import RouteSettings

__all__ = ["LangfuseWeb", "LangfuseWebArgs", "RouteSettings"]
