"""Requests generated from the OpenAPI document (schemathesis): no client input gets a 5xx —
every operation but GET (the reads are in ``test_fuzz_openapi.py``)."""

from __future__ import annotations

import pytest

from tests.api.fuzz import fuzz


@pytest.mark.slow
def test_generated_writes_never_get_a_server_error(test_database_url, tmp_path):
    fuzz(test_database_url, tmp_path, "fuzz_writes", "--exclude-method", "GET")
