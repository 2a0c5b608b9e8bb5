"""Serving the champion over HTTP: request models, model loading, metrics, client.

The BentoML service itself is the thin file `serving/service.py`; everything it uses lives here
so that it can be read and tested without starting a server.
"""
