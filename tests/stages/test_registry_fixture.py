"""The shared registry fixture really registers a champion that loads and predicts."""

from lifecycle.dataset import model_frame
from lifecycle.registry import current
from lifecycle.tracking import configure, load_model
from tests.helpers.registry import Registry


def test_registry_fixture_has_a_loadable_champion(registry: Registry) -> None:
    client = configure(registry.settings)
    champ = current(client, registry.model_name)
    assert champ is not None and str(champ.version) == registry.champion_version
    model = load_model(f"models:/{registry.model_name}@champion")
    preds = model.predict(model_frame(registry.splits.test, registry.spec))
    assert len(preds) == len(registry.splits.test) and (preds >= 0).all()
