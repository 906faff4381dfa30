"""Who may reach whom: the flow vocabulary (model.py), OpenShift's peers (openshift.py), the central flow tables
(*_flows.py) and the NamespaceIsolation that turns flows into NetworkPolicies. The package imports nothing, so the
vocabulary and the tables load without Pulumi."""
