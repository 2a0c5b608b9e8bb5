"""The service (lifecycle.serving, serving/): contract, fast paths, reloads, the real server."""
