"""The in-cluster data tier, producing the same backend contract that external stores do."""

from components.data_tier.tier import LangfuseDataTier, LangfuseDataTierArgs

__all__ = ["LangfuseDataTier", "LangfuseDataTierArgs"]
