"""The OpenAPI schema and its docs page, and schemathesis fuzzing every operation in it
against a real server: no server errors, and every response as the schema says."""

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from audiobooks.events import EVENT_TYPES
from tests.support.live_client import auth
from tests.support.pdf_factory import build_pdf, english_page
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.server


def generated_schema() -> dict:
    """The schema as this code generates it (the test below checks the server serves it)."""
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


# Not schemathesis's pytest plugin (it does not run under pytest 9): each operation is a
# test of its own that runs hypothesis on the operation's strategy.
OPERATIONS = [
    result.ok() for result in schemathesis.openapi.from_dict(generated_schema()).get_all_operations()
]


@pytest.fixture(scope="session")
def schema_document(server) -> dict:
    response = requests.get(f"{server.url}/api/schema/?format=json", timeout=10)
    assert response.status_code == 200
    return response.json()


def test_the_server_serves_the_schema_the_fuzzing_uses(schema_document):
    assert schema_document == generated_schema()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_operation_errors_or_breaks_its_schema(operation, server, token):
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case):
        case.call_and_validate(
            base_url=server.url,
            headers=auth(token),
            timeout=60,
            # What a schema cannot say, a request that fits it may still break: a password
            # too common, a "PDF" of random bytes. Those get a documented 400/415/422.
            excluded_checks=[schemathesis.checks.positive_data_acceptance],
        )

    call()


def test_every_endpoint_is_described(schema_document):
    operations = {
        (method.upper(), path) for path, item in schema_document["paths"].items() for method in item
    }
    assert operations == {
        ("POST", "/api/auth/register/"),
        ("POST", "/api/auth/token/"),
        ("POST", "/api/auth/token/refresh/"),
        ("GET", "/api/books/"),
        ("POST", "/api/books/"),
        ("POST", "/api/books/upload-sse/"),
        ("GET", "/api/books/{book_id}/"),
        ("DELETE", "/api/books/{book_id}/"),
        ("GET", "/api/books/{book_id}/events/"),
        ("POST", "/api/books/{book_id}/cancel/"),
        ("POST", "/api/books/{book_id}/retry/"),
        ("GET", "/api/books/{book_id}/pdf/"),
        ("GET", "/api/books/{book_id}/pages/"),
        ("GET", "/api/books/{book_id}/text/"),
        ("GET", "/api/books/{book_id}/pages/{page_number}/"),
        ("PATCH", "/api/books/{book_id}/pages/{page_number}/"),
        ("GET", "/api/books/{book_id}/pages/{page_number}/image/"),
        ("POST", "/api/books/{book_id}/pages/{page_number}/reocr/"),
    }


def test_auth_and_the_error_body_are_described(schema_document):
    schemes = schema_document["components"]["securitySchemes"]
    error_body = schema_document["components"]["schemas"]["ErrorBody"]

    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert set(error_body["required"]) == {"error", "details", "code"}
    assert "not_pdf" in error_body["properties"]["code"]["enum"]
    book = schema_document["paths"]["/api/books/{book_id}/"]["get"]
    assert book["security"] == [{"jwtAuth": []}]
    assert book["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }


def test_the_streams_describe_each_event_and_its_payload(schema_document):
    upload = schema_document["paths"]["/api/books/upload-sse/"]["post"]
    messages = upload["responses"]["200"]["content"]["text/event-stream"]["schema"]["oneOf"]
    schemas = schema_document["components"]["schemas"]

    payloads = {m["properties"]["event"]["const"]: m["properties"]["data"] for m in messages}
    assert set(payloads) == set(EVENT_TYPES)
    assert payloads["page_progress"] == {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": "#/components/schemas/PageProgressEvent"},
    }
    page_progress = schemas["PageProgressEvent"]
    assert {"book_id", "current_page", "total_pages", "progress", "page_number", "method"} <= set(
        page_progress["required"]
    )
    assert page_progress["properties"]["page_number"] == {"type": ["integer", "null"]}
    assert schemas["CompletedEvent"]["properties"]["failed_pages"]["items"] == {"type": "integer"}
    assert "multipart/form-data" in upload["requestBody"]["content"]
    events = schema_document["paths"]["/api/books/{book_id}/events/"]["get"]
    assert {p["name"] for p in events["parameters"]} >= {"Last-Event-ID", "last_event_id"}


def test_swagger_ui_is_served_with_its_files_from_this_server(server):
    page = requests.get(f"{server.url}/api/docs/", timeout=10)

    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "cdn.jsdelivr.net" not in page.text
    assert requests.get(
        f"{server.url}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", timeout=10
    ).ok


def operation(method: str, path: str):
    return next(op for op in OPERATIONS if op.method.upper() == method and op.path == path)


def test_a_real_upload_stream_and_its_replay_match_the_schema_event_by_event(server, token, tmp_path):
    pdf = build_pdf(tmp_path / "two.pdf", [english_page(start=0), english_page(start=1)])
    upload = operation("POST", "/api/books/upload-sse/").Case(
        body={"file": pdf.read_bytes(), "title": "Schema", "language": "english"},
        media_type="multipart/form-data",
        headers={"Accept": "text/event-stream"},
    )
    streamed = upload.call_and_validate(base_url=server.url, headers=auth(token), timeout=60)
    book_id = parse_stream(streamed.content)[-1].data["book_id"]
    replay = operation("GET", "/api/books/{book_id}/events/").Case(
        path_parameters={"book_id": book_id}, headers={"Accept": "text/event-stream"}
    )
    replayed = replay.call_and_validate(base_url=server.url, headers=auth(token), timeout=60)

    names = [message.event for message in events_only(parse_stream(replayed.content))]
    assert names[-1] == "completed" and names.count("page_progress") == 3
