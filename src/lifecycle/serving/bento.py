"""Packing the champion for a Bento: copy it from MLflow into the BentoML model store.

A built Bento must not need the registry: `bentoml build` packs every model the service
declares with `bentoml.models.BentoModel`, so the champion is first imported into the store
(under $BENTOML_HOME, state/bentoml in this project), with its lineage as metadata.
"""

from __future__ import annotations

from typing import Any

from lifecycle.serving.champion import RegistrySource, bento_metadata
from lifecycle.serving.runtime import service_config
from lifecycle.settings import Settings


def find_imported(name: str, version: str) -> Any | None:
    """The store's copy of registry version `version`, if it was imported before."""
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        stored = bentoml.models.list(name)
    except NotFound:  # nothing of that name yet
        return None
    return next((m for m in stored if m.info.labels.get("registry_version") == version), None)


def import_champion(settings: Settings) -> Any:
    """Copy the current champion into the BentoML store (once per version); return it."""
    import bentoml

    config = service_config(settings)
    source = RegistrySource(settings, config.model_name, config.spec)
    version = source.latest()
    found = find_imported(config.model_name, version)
    if found is not None:
        return found
    info = source.describe(version)
    return bentoml.mlflow.import_model(
        config.model_name,
        f"models:/{config.model_name}/{version}",
        labels={"registry_version": version, "alias": "champion"},
        metadata=bento_metadata(info),
    )
