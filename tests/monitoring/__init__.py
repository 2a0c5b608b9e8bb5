"""Monitoring (lifecycle.monitoring, monitoring/): log windows, labels, drift, decision."""
