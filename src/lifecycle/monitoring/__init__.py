"""Monitoring: drift and performance of the served model, from the prediction log.

The entry point is `lifecycle.monitoring.monitor.monitor_window`. Evidently is imported only
inside the functions that need it (it takes seconds to import).
"""
