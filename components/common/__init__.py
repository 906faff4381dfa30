"""Small helpers shared by every component: labels, naming and pod security."""
