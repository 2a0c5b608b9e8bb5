"""The closed loop: replay the world month by month, serve, monitor, retrain, promote, redeploy."""
