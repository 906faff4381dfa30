"""The cluster layer: OLM operators and the encrypted StorageClass, applied before any environment stack."""
