"""A small SSE reader for tests: parses the wire format and notes when each message arrived."""

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass
class Message:
    event: str | None = None
    id: int | None = None
    data: dict | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)
    arrived: float = 0.0  # time.time() when its last byte was read


def parse_block(block: str) -> Message:
    message = Message()
    for line in block.split("\n"):
        if line.startswith(":"):
            message.comments.append(line[1:].strip())
        elif line.startswith("event: "):
            message.event = line[len("event: ") :]
        elif line.startswith("id: "):
            message.id = int(line[len("id: ") :])
        elif line.startswith("data: "):
            message.data = json.loads(line[len("data: ") :])
        elif line.startswith("retry: "):
            message.retry = int(line[len("retry: ") :])
    return message


def read_messages(chunks: Iterable[bytes]) -> Iterator[Message]:
    """Yield each message as soon as its closing blank line has arrived."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk.decode("utf-8")
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            message = parse_block(block)
            message.arrived = time.time()
            yield message


def parse_stream(body: bytes) -> list[Message]:
    return list(read_messages([body]))


def events_only(messages: Iterable[Message]) -> list[Message]:
    return [m for m in messages if m.event]
