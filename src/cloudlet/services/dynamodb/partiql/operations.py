"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction."""

from __future__ import annotations


class PartiQLOperations:
    pass
