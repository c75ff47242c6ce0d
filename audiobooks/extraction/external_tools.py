"""Running poppler's and tesseract's programs: spawned, not forked, and waited for with a deadline.

`subprocess` under gunicorn's gevent worker (`make run`, books read in the web process)
forks the whole process for every program it starts, holding the event loop, and every
stream of the process with it, while the kernel copies the page tables: measured 6.3 ms of
CPU a start in a 200 MB gevent process, against 0.14 ms with posix_spawn. A page starts
three to six programs. So programs are started with posix_spawn (the C library's, not
gevent's, which would watch the child itself) and waited for on a pidfd with poll, which
gevent makes cooperative and a thread blocks on as usual.

Each program runs under `sh`, which writes its exit status to a file (under gevent, the
event loop reaps every child that exits, so waiting for our own child may find its status
gone). The program runs in a process group of its own (setsid), so that at the deadline
`sh`, told by SIGTERM, kills all of it (`pdfimages | head` is two processes); `sh` stays in
the server's process group, so stopping the server (SIGTERM or SIGINT) stops it too.
"""

import os
import select
import signal
import sys
import tempfile
from pathlib import Path

# Of a failing program's error output, the last lines kept to say why it failed.
STDERR_TAIL_BYTES = 4096
STDERR_LINES = 3
# sh's exit status for a program it could not find.
NOT_FOUND = 127
# The most memory a program may map. The pixel budget bounds what poppler draws, not what it
# decodes: a crafted PDF's image may be of any size. Measured: tesseract on a 40-megapixel
# page (the OCR_MAX_PIXELS default) peaks at 460 MB resident and runs under a 1 GB cap.
MEMORY_LIMIT_MB = 2048
# The program in the background in a group of its own, so the trap can kill the group; its
# exit status into the file $0.
RUN_AND_RECORD_STATUS = (
    f"ulimit -v {MEMORY_LIMIT_MB * 1024}; "
    'setsid -w "$@" & program=$!; trap "kill -9 -$program" TERM INT; wait $program; echo $? > "$0"'
)
# Python ignores these, and a spawned program would inherit that: `pdfimages | head` would
# not stop when head has read enough.
DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)


class ToolFailed(RuntimeError):
    """The program is missing or exited with an error; the message says which and why."""


class ToolTimedOut(TimeoutError):
    """The program was stopped at its deadline."""


def run_tool(
    command: list[str], *, timeout: float, stdout_path: str | None = None, merge_stderr: bool = False
) -> None:
    """Run `command` to its end within `timeout` seconds, its output into `stdout_path`
    (or nowhere), its error output too with `merge_stderr`. Raises ToolFailed with the end
    of its error output, or ToolTimedOut."""
    with tempfile.TemporaryDirectory(prefix="tool-") as folder:
        status_path, stderr_path = os.path.join(folder, "status"), os.path.join(folder, "stderr")
        write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        if merge_stderr and stdout_path:
            stderr_path, errors = stdout_path, (os.POSIX_SPAWN_DUP2, 1, 2)
        else:
            errors = (os.POSIX_SPAWN_OPEN, 2, stderr_path, write, 0o600)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, stdout_path or os.devnull, write, 0o600),
            errors,
        ]
        arguments = ["sh", "-c", RUN_AND_RECORD_STATUS, status_path, *command]
        spawn = unpatched_os("posix_spawn")
        pid = spawn("/bin/sh", arguments, os.environ, file_actions=actions, setsigdef=DEFAULT_SIGNALS)
        if not ended_in_time(pid, timeout=timeout):
            raise ToolTimedOut(f"{command[0]} took longer than {timeout:.3g} s")
        status = Path(status_path).read_text().strip() if os.path.exists(status_path) else ""
        if status == "0":
            return
        detail = error_tail(stderr_path)
        if status == str(NOT_FOUND) and "No such file or directory" in detail:
            raise ToolFailed(f"{command[0]} is not installed")
        raise ToolFailed(f"{command[0]} failed ({exit_description(status)}){': ' + detail if detail else ''}")


def tool_output(command: list[str], *, timeout: float, merge_stderr: bool = False) -> str:
    """What `command` writes to its standard output (and error output, `merge_stderr`): run_tool."""
    with tempfile.NamedTemporaryFile(prefix="tool-output-") as output:
        run_tool(command, timeout=timeout, stdout_path=output.name, merge_stderr=merge_stderr)
        return output.read().decode("utf-8", "replace")


def ended_in_time(pid: int, *, timeout: float) -> bool:
    """Wait for `sh` (pid) to end; at `timeout`, have it kill its program and say False.
    It is waited for whatever happens, an exception in the wait included (unless the event
    loop reaped it first)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True  # it ended and was reaped already
    except BaseException:
        os.kill(pid, signal.SIGTERM)
        raise
    ended = False
    try:
        # poll, not select: a worker holding a thousand streams has descriptors past
        # select's limit of 1024 ("filedescriptor out of range in select()").
        watch = select.poll()
        watch.register(pidfd, select.POLLIN)
        ended = bool(watch.poll(max(0.0, timeout) * 1000))
    finally:
        try:
            if not ended:
                signal.pidfd_send_signal(pidfd, signal.SIGTERM)
            unpatched_os("waitpid")(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # the event loop reaped it
        finally:
            os.close(pidfd)
    return ended


def unpatched_os(name: str):
    """`os.<name>` as the C library has it, also where gevent patched it (a gunicorn worker)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("os"):
        return monkey.get_original("os", name)
    return getattr(os, name)


def exit_description(status: str) -> str:
    if not status:
        return "no exit status: sh was stopped"
    code = int(status)
    return f"killed by signal {code - 128}" if code > 128 else f"exit status {code}"


def error_tail(path: str) -> str:
    """The last STDERR_LINES lines of a program's error output, joined."""
    with open(path, "rb") as text:
        text.seek(max(0, text.seek(0, os.SEEK_END) - STDERR_TAIL_BYTES))
        lines = text.read().decode("utf-8", "replace").strip().splitlines()
    return " / ".join(line.strip() for line in lines[-STDERR_LINES:] if line.strip())
