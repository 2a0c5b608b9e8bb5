"""The lifecycle replay (lifecycle.replay, pipelines/replay.py): traffic client, whole loop."""
