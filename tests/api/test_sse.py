"""The SSE wire format and the renderer that lets DRF accept text/event-stream."""

from django.utils import timezone

from audiobooks import events
from audiobooks.api.sse import PING, EventStreamRenderer, encode_stream, event_wire, format_event
from audiobooks.models import BookEvent
from tests.support.sse_client import parse_stream


def test_an_event_is_id_event_and_one_line_of_json():
    event = events.page_progress(
        book_id=7, pages_done=1, total_pages=3, page_number=2, method="ocr", extracted_chars=5
    )

    wire = format_event(event.name, event.payload(), event_id=12)

    assert wire.startswith("id: 12\nevent: page_progress\ndata: {")
    assert wire.endswith("}\n\n") and wire.count("\n") == 4
    (message,) = parse_stream(wire.encode())
    assert message.data == {
        "book_id": 7,
        "current_page": 1,
        "total_pages": 3,
        "progress": 33,
        "message": "Page 2 done (1 of 3)",
        "extracted_chars": 5,
        "page_number": 2,
        "method": "ocr",
    }


def test_devanagari_travels_as_utf8_not_escapes():
    wire = format_event("status", {"stage": "saving", "message": "पुस्तक"})

    assert "पुस्तक" in wire


def test_renderer_turns_an_error_body_into_one_error_event():
    body = EventStreamRenderer().render(
        {"error": "File too large", "details": "Maximum file size is 50 MB.", "code": "too_large"}
    )

    (message,) = parse_stream(body)
    assert message.event == "error"
    assert message.data == {
        "error": "File too large",
        "details": "Maximum file size is 50 MB.",
        "code": "too_large",
    }


def stored(seq: int, event: events.Event) -> BookEvent:
    return BookEvent(
        pk=100 + seq, book_id=7, seq=seq, name=event.name, data=event.payload(), created_at=timezone.now()
    )


def test_a_batch_of_events_goes_out_as_one_chunk_and_a_heartbeat_as_a_ping():
    batch = [
        stored(
            seq,
            events.page_progress(book_id=7, pages_done=seq, total_pages=2, page_number=seq, method="text"),
        )
        for seq in (1, 2)
    ]

    chunks = list(encode_stream([batch, None]))

    assert chunks[0] == b"retry: 3000\n\n"
    assert [message.id for message in parse_stream(chunks[1])] == [1, 2]
    assert chunks[2:] == [PING.encode()]


def test_an_event_is_formatted_once_however_many_streams_send_it():
    event = stored(1, events.Status(stage="extracting", message="Reading"))

    first, again = event_wire(event), event_wire(event)

    assert first is again
    assert parse_stream(first)[0].data["stage"] == "extracting"
