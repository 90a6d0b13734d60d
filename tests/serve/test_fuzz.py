"""Property-based fuzz of the OpenAPI schema: no input may produce a 500, every error has the shape.

Schemathesis generates the requests from the app's own OpenAPI document; hypothesis runs a
bounded number of examples per operation (schemathesis' pytest plugin is not yet compatible
with pytest 9, so the strategies are driven directly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from serve.app import create_app
from serve.settings import Settings

EXAMPLES_PER_OPERATION = 30


@schemathesis.check
def errors_have_the_shape(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code >= 400:
        body = response.json()
        assert "error" in body and body["error"]["message"], (
            f"{case.method} {case.path}: {response.status_code} without the error shape"
        )


def test_no_input_yields_a_500(bundle_dir: Path, kb_index_dir: Path, tmp_path: Path) -> None:
    app = create_app(
        Settings(model_dir=bundle_dir, kb_index=kb_index_dir, prediction_log=tmp_path / "p.sqlite3", admin_token="t")
    )
    app.state.holder.reload()  # the ASGI transport does not run the lifespan
    app.state.kb.reload()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/predict", "/v1/predict/batch", "/v1/suggest", "/v1/admin/reload"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case: Any) -> None:
            case.call_and_validate(checks=[schemathesis.checks.not_a_server_error, errors_have_the_shape])

        run()
