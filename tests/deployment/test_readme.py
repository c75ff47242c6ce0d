"""The README stays true: its curl walk-through works as printed, every setting is documented."""

import json
import re
import shutil
import subprocess

import pytest

from tests.support.live_client import upload_in_background, wait_for_book
from tests.support.live_server import ROOT
from tests.support.pdf_factory import ENGLISH_LINES, build_pdf, english_page
from tests.support.project_files import environment_variables_read
from tests.support.sse_client import events_only, parse_stream

README = (ROOT / "README.md").read_text()


def readme_block(starting_with: str) -> str:
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S):
        if block.startswith(starting_with):
            return block
    raise AssertionError(f"no bash block starting with {starting_with!r} in the README")


@pytest.mark.server
def test_the_guides_curl_upload_works_as_printed(server, token, tmp_path):
    command = readme_block('curl -N -H "Accept: text/event-stream"')
    # Only the placeholders a reader replaces, and the port of this test's server.
    command = command.replace("YOUR_TOKEN", token).replace("http://localhost:8000", server.url)
    build_pdf(tmp_path / "test.pdf", [english_page()])
    assert shutil.which("curl"), "curl is installed by `make test` (system-packages)"

    result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, timeout=120)

    assert result.returncode == 0, result.stderr
    stream = events_only(parse_stream(result.stdout))
    assert stream[-1].event == "completed"
    assert (stream[-1].data["title"], stream[-1].data["author"]) == ("Test Book", "Test Author")


@pytest.fixture
def book_id(server, token, tmp_path) -> int:
    """A completed six-page English book of the token's reader."""
    pdf = build_pdf(tmp_path / "test.pdf", [english_page(count=6)])
    book_id = upload_in_background(server, token, pdf, language="english")["id"]
    assert wait_for_book(server, token, book_id)["status"] == "completed"
    return book_id


def run_as_printed(starting_with: str, *, server, token: str, book_id: int) -> list[str]:
    """The README's block starting with `starting_with`, each line run by bash against the
    server, for the token's book instead of book 1; what each printed."""
    block = readme_block(starting_with)
    block = block.replace("YOUR_TOKEN", token).replace("http://localhost:8000", server.url)
    return [
        subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, check=True).stdout
        for command in block.replace("/books/1/", f"/books/{book_id}/").splitlines()
    ]


@pytest.mark.server
def test_the_read_back_commands_work_as_printed(server, token, book_id):
    outputs = run_as_printed(
        'curl -s -H "Authorization: Bearer YOUR_TOKEN" http://localhost:8000/api/books/1/',
        server=server,
        token=token,
        book_id=book_id,
    )

    assert json.loads(outputs[0])["text_url"].endswith(f"/api/books/{book_id}/text/")
    assert outputs[-2].startswith("The quick brown fox jumps over the lazy dog.")
    assert json.loads(outputs[-1])["chapters"][0]["paragraphs"][0]["sentences"][0] == ENGLISH_LINES[0]


@pytest.mark.server
def test_the_correction_commands_work_as_printed(server, token, book_id):
    etag, corrected = run_as_printed("curl -s -D - -o /dev/null", server=server, token=token, book_id=book_id)

    assert etag.strip().lower() == 'etag: "v1"'
    page = json.loads(corrected)
    assert (page["text_content"], page["version"]) == ("The corrected first page.", 2)
    assert page["extracted_text"].startswith("The quick brown fox")


def test_the_token_command_in_the_readme_matches_the_demo_user():
    command = readme_block("curl -s -X POST http://localhost:8000/api/auth/token/")
    source = (ROOT / "audiobooks/management/commands/ensure_demo_user.py").read_text()

    assert '"DEMO_USERNAME", "demo"' in source and "username=demo " in command
    assert '"DEMO_PASSWORD", "demo-pass-2026"' in source and "password=demo-pass-2026" in command


def test_every_environment_variable_read_is_documented():
    missing = sorted(name for name in environment_variables_read() if f"`{name}`" not in README)
    assert not missing, f"README's Configuration section lacks {missing}"


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a document's headings (lower case, punctuation dropped,
    spaces as hyphens)."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.S), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_every_link_between_the_docs_resolves(document):
    path = ROOT / document if document == "README.md" else ROOT / "docs" / document
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists() or (anchor and anchor not in heading_anchors(linked.read_text())):
            broken.append(target)
    assert broken == []
