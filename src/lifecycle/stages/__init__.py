"""What the DVC stages run: one module per stage of dvc.yaml (ingest, validate, split, train,
evaluate, promote) and the model code only training needs. Nothing outside `stages` and the
`pipelines/` scripts may import it: serving, monitoring and the replay use the shared contracts."""
