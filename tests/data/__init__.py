"""The shipped tables and their definitions: the data contract holds, mismatches are caught."""
