"""`make bento`, step 1: copy the registry's champion into the BentoML store (state/bentoml).

Step 2 is `bentoml build -f serving/bentofile.yaml .`, which packs it into the Bento.
"""

from lifecycle.serving.bento import import_champion
from lifecycle.settings import get_settings, quiet_telemetry


def main() -> None:
    quiet_telemetry()
    model = import_champion(get_settings())
    print(f"champion v{model.info.labels['registry_version']} is {model.tag} in the BentoML store")


if __name__ == "__main__":
    main()
