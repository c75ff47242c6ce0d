"""The README stays true: its curl walk-through works as printed, every setting is documented."""

import re
import shutil
import subprocess

import pytest

from tests.support.live_server import ROOT
from tests.support.pdf_factory import build_pdf, english_page
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


def test_the_token_command_in_the_readme_matches_the_demo_user():
    command = readme_block("curl -s -X POST http://localhost:8000/api/auth/token/")
    source = (ROOT / "audiobooks/management/commands/ensure_demo_user.py").read_text()

    assert '"DEMO_USERNAME", "demo"' in source and "username=demo " in command
    assert '"DEMO_PASSWORD", "demo-pass-2026"' in source and "password=demo-pass-2026" in command


def test_every_environment_variable_read_is_documented():
    missing = sorted(name for name in environment_variables_read() if f"`{name}`" not in README)
    assert not missing, f"README's Configuration section lacks {missing}"
