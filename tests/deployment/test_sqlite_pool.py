"""The embedded SQLite backend keeps closed connections open for the next request."""

import pytest
from django.db import connections

from backend.sqlite_pool.base import POOL_SIZE, DatabaseWrapper

pytestmark = pytest.mark.django_db  # lets these connections to their own file open


@pytest.fixture
def open_wrapper(tmp_path):
    """A connection to its own database file, like a request greenlet's; all closed after."""
    settings_dict = {**connections["default"].settings_dict, "NAME": str(tmp_path / "pooled.sqlite3")}
    wrappers = []

    def open_wrapper() -> DatabaseWrapper:
        wrapper = DatabaseWrapper(settings_dict, alias=f"pooled-{len(wrappers)}")
        wrapper.ensure_connection()
        wrappers.append(wrapper)
        return wrapper

    yield open_wrapper
    for wrapper in wrappers:
        wrapper.in_atomic_block = False
        wrapper.close()
    for raw in DatabaseWrapper._idle.pop(wrapper._pool_key(), []):
        raw.close()


def test_the_next_request_takes_the_connection_the_last_one_closed(open_wrapper):
    first = open_wrapper()
    raw = first.connection
    first.close()

    assert open_wrapper().connection is raw


def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(open_wrapper):
    first = open_wrapper()
    first.connection.execute("CREATE TABLE shelf (title TEXT)")
    first.connection.execute("BEGIN")
    first.connection.execute("INSERT INTO shelf VALUES ('half written')")
    first.close()

    second = open_wrapper()
    assert not second.connection.in_transaction
    assert second.connection.execute("SELECT count(*) FROM shelf").fetchone() == (0,)


def test_a_connection_closed_inside_an_atomic_block_is_closed_for_real(open_wrapper):
    wrapper = open_wrapper()
    raw = wrapper.connection
    wrapper.in_atomic_block = True  # Django keeps its reference to it until the block ends
    wrapper.close()

    assert open_wrapper().connection is not raw


def test_no_more_than_the_pool_size_stay_open(open_wrapper):
    wrappers = [open_wrapper() for _ in range(POOL_SIZE + 3)]
    for wrapper in wrappers:
        wrapper.close()

    assert len(DatabaseWrapper._idle[wrappers[0]._pool_key()]) == POOL_SIZE


def test_a_connection_that_saw_a_database_error_is_closed_for_real(open_wrapper):
    wrapper = open_wrapper()
    raw = wrapper.connection
    wrapper.errors_occurred = True  # as Django marks it when a query fails
    wrapper.close()

    assert open_wrapper().connection is not raw


def test_a_connection_opened_on_another_file_is_not_pooled_under_the_new_one(open_wrapper, tmp_path):
    wrapper = open_wrapper()
    raw = wrapper.connection
    wrapper.settings_dict = {**wrapper.settings_dict, "NAME": str(tmp_path / "renamed.sqlite3")}
    wrapper.close()

    assert raw not in DatabaseWrapper._idle.get(wrapper._pool_key(), [])
