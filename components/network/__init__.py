from components.network.isolation import NamespaceIsolation, NamespaceIsolationArgs
from components.network.model import Addresses, Flow, NamespacePods, Pods, Port

__all__ = ["Addresses", "Flow", "NamespaceIsolation", "NamespaceIsolationArgs", "NamespacePods", "Pods", "Port"]
