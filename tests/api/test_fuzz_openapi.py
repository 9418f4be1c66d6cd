"""Requests generated from the OpenAPI document (schemathesis): no client input gets a 5xx —
the read operations (GET); the others are in ``test_fuzz_openapi_writes.py``."""

from __future__ import annotations

import pytest

from tests.api.fuzz import fuzz


@pytest.mark.slow
def test_generated_requests_never_get_a_server_error(test_database_url, tmp_path):
    fuzz(test_database_url, tmp_path, "fuzz", "--include-method", "GET")
