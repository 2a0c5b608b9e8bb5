"""`make bento`, step 1: copy the registry's champion into the BentoML store (state/bentoml).

Step 2 is `bentoml build -f serving/bentofile.yaml .`, which packs it into the Bento.
"""

import argparse
import sys

from lifecycle.entry import StageFailed, run
from lifecycle.serving.bento import import_champion
from lifecycle.settings import get_settings, quiet_telemetry


def main(argv: list[str] | None = None) -> int:
    """Import the champion (once per version) and print its BentoML tag."""
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    quiet_telemetry()
    try:
        model = import_champion(get_settings())
    except LookupError as err:  # no champion yet: say so, as `simulate` does
        raise StageFailed(str(err)) from None
    print(f"champion v{model.info.labels['registry_version']} is {model.tag} in the BentoML store")
    return 0


if __name__ == "__main__":
    sys.exit(run("import_champion", main))
