"""What drf-spectacular cannot infer: the error body every operation may answer with, and
the SSE streams' event contract (from audiobooks/events.py, the one definition)."""

import dataclasses
import typing

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from audiobooks.api.serializers import BookUploadSerializer
from audiobooks.errors import ErrorCode
from audiobooks.events import EVENT_TYPES, Event

EVENT_STREAM = "text/event-stream"
JSON_TYPES = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    list[int]: {"type": "array", "items": {"type": "integer"}},
}
ERROR_BODY = {
    "type": "object",
    "description": "Every error: a message for people, details, and a code for programs.",
    "properties": {
        "error": {"type": "string"},
        "details": {"type": "string"},
        "code": {"type": "string", "enum": [code.value for code in ErrorCode]},
    },
    "required": ["error", "details", "code"],
}
STREAM_DESCRIPTION = (
    "A Server-Sent Events stream. It opens with `retry: 3000`; each event is `id: <seq>`, "
    "`event: <name>` and `data: <JSON payload>` lines and a blank line; `: ping` comments "
    "keep an idle stream alive. Events: "
    + ", ".join(f"`{name}`" for name in EVENT_TYPES)
    + ". This response's schema describes one event: its `event` name and its `data`, a JSON "
    "document (`contentSchema`: the `*Event` components). "
    "The stream ends after `completed` or `error`. Re-attach with `GET /api/books/{id}/events/` "
    "and the last id seen as `Last-Event-ID`."
)
STREAM_RESPONSE = {(200, EVENT_STREAM): OpenApiResponse(OpenApiTypes.STR, description=STREAM_DESCRIPTION)}
LAST_EVENT_ID = [
    OpenApiParameter(
        "Last-Event-ID", int, OpenApiParameter.HEADER, description="Replay after this event id."
    ),
    OpenApiParameter("last_event_id", int, description="The same, for clients that cannot set headers."),
]


class BookUploadForm(BookUploadSerializer):
    """The upload's multipart form, for the schema: the service reads `file` itself."""

    file = serializers.FileField(help_text="The PDF, exactly one.")


def event_component(event_type: type[Event]) -> str:
    return f"{event_type.__name__}Event"


def json_schema(annotation) -> dict:
    optional = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is typing.Union or len(optional) < len(typing.get_args(annotation)):
        schema = json_schema(optional[0])
        return {**schema, "type": [schema["type"], "null"]}
    return dict(JSON_TYPES[annotation])


def event_schema(event_type: type[Event]) -> dict:
    hints = typing.get_type_hints(event_type)
    fields = dataclasses.fields(event_type)
    return {
        "type": "object",
        "description": f"The `data:` of an `event: {event_type.name}` message.",
        "properties": {field.name: json_schema(hints[field.name]) for field in fields},
        "required": [field.name for field in fields],
    }


def stream_message_schema(event_type: type[Event]) -> dict:
    """One SSE message as schemathesis and OpenAPI 3.1 read it: name, id, JSON data."""
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": event_type.name},
            "id": {"type": "string", "description": "The event's sequence number: send it as Last-Event-ID."},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{event_component(event_type)}"},
            },
        },
    }


def add_errors_and_events(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorBody"] = ERROR_BODY
    for event_type in EVENT_TYPES.values():
        schemas[event_component(event_type)] = event_schema(event_type)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path_item in result["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            error_content = {"application/json": {"schema": error_ref}}
            stream = responses.get("200", {}).get("content", {}).get(EVENT_STREAM)
            if stream is not None:
                stream["schema"] = {"oneOf": [stream_message_schema(event) for event in EVENT_TYPES.values()]}
                # Asked for a stream, a rejection comes as one `error` event.
                error_content[EVENT_STREAM] = {"schema": stream_message_schema(EVENT_TYPES["error"])}
            responses.setdefault(
                "default", {"description": "An error (see ErrorBody).", "content": error_content}
            )
    return result
