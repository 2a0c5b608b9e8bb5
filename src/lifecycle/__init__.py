"""lifecycle: an end-to-end MLOps reference project."""
