"""The store: declared tables, scopes, ordering, transactions, reset."""

from __future__ import annotations

import asyncio

import pytest

from cloudlet.store.blobs import BlobStore
from cloudlet.store.scope import Scope, State, Table
from cloudlet.store.sqlite import Database


class ExampleState(State):
    service = "example"
    items = Table()
    accounts = Table(Scope.ACCOUNT)
    names = Table(Scope.GLOBAL)


@pytest.fixture
def db(tmp_path):  # noqa: ANN001, ANN201
    database = Database(str(tmp_path / "state.db"))
    yield database
    database.close()


def test_scopes_keep_accounts_and_regions_apart(db: Database) -> None:
    a = ExampleState(db, "111111111111", "us-east-1")
    b = ExampleState(db, "111111111111", "eu-west-1")
    c = ExampleState(db, "222222222222", "us-east-1")
    a.items.put("k", {"v": 1})
    assert b.items.get("k") is None and c.items.get("k") is None
    a.accounts.put("k", 1)
    assert b.accounts.get("k") == 1 and c.accounts.get("k") is None
    a.names.put("bucket", "111111111111")
    assert c.names.get("bucket") == "111111111111"


def test_items_are_ordered_and_scannable(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    for key in ["b", "a", "c/2", "c/1", "d"]:
        state.items.put(key, key.upper())
    assert state.items.keys() == ["a", "b", "c/1", "c/2", "d"]
    assert state.items.keys(prefix="c/") == ["c/1", "c/2"]
    assert state.items.keys(after="b", limit=2) == ["c/1", "c/2"]
    assert state.items.keys(reverse=True, limit=2) == ["d", "c/2"]
    assert [k for k, _ in state.items.items("b", "d")] == ["b", "c/1", "c/2"]
    assert len(state.items) == 5


def test_ranges_count_and_delete_without_reading_values(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    other = ExampleState(db, "1", "r2")
    for key in ["q1 001", "q1 002", "q1 010", "q2 001", "q10 001"]:
        state.items.put(key, {"big": "x" * 10})
        other.items.put(key, 1)
    assert state.items.count(prefix="q1 ") == 3
    assert state.items.count("q1 002", "q1 011") == 2
    assert state.items.count() == 5
    with db.transaction():
        assert state.items.delete_range(prefix="q1 ") == 3
    assert state.items.keys() == ["q10 001", "q2 001"]
    assert other.items.count(prefix="q1 ") == 3  # another scope is untouched
    with pytest.raises(RuntimeError), db.transaction():
        state.items.delete_range("q", "r")
        raise RuntimeError("boom")
    assert state.items.count() == 2


def test_take_range_deletes_and_returns_what_it_held(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    other = ExampleState(db, "1", "r2")
    for key in ["a\0001", "a\0002", "ab", "b"]:
        state.items.put(key, {"k": key})
        other.items.put(key, 1)
    with db.transaction():
        assert db.uncommitted is False
        assert state.items.take_range(prefix="a\0") == [("a\0001", {"k": "a\0001"}), ("a\0002", {"k": "a\0002"})]
        assert db.uncommitted is True
    assert db.uncommitted is False
    assert state.items.keys() == ["ab", "b"] and other.items.count() == 4
    with pytest.raises(RuntimeError), db.transaction():
        assert state.items.take_range("a", "c") == [("ab", {"k": "ab"}), ("b", {"k": "b"})]
        raise RuntimeError("boom")
    assert state.items.keys() == ["ab", "b"]
    assert state.items.take_range(prefix="z") == []


def test_rows_of_several_tables_in_one_statement(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    shared = {"n": 1}
    with db.transaction():
        db.put_rows([(state.items.scope, "x", shared), (state.names.scope, "x", shared),
                     (state.accounts.scope, "raw", b"\x00\xffbytes")])
    assert state.items.get("x") == state.names.get("x") == {"n": 1}
    assert state.accounts.get_raw("raw") == b"\x00\xffbytes"  # bytes are stored as they are


def test_many_keys_in_one_statement(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    with db.transaction():
        state.items.put_many([(f"k{i:04d}", {"n": i}) for i in range(1200)])  # more than one IN (...) list
    assert state.items.get_many(["k0001", "k1199", "absent"]) == {"k0001": {"n": 1}, "k1199": {"n": 1199}}
    assert len(state.items.get_many([f"k{i:04d}" for i in range(1200)])) == 1200
    with pytest.raises(RuntimeError), db.transaction():
        state.items.delete_many([f"k{i:04d}" for i in range(600)])
        raise RuntimeError("boom")
    assert state.items.count() == 1200
    with db.transaction():
        assert state.items.delete_many([f"k{i:04d}" for i in range(600)] + ["absent"]) == 600
    assert state.items.count() == 600 and state.items.get("k0600") == {"n": 600}
    state.items.put_many([])


def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    state.items.put("kept", 1)
    with pytest.raises(RuntimeError), db.transaction():
        state.items.put("half", 1)
        state.items.delete("kept")
        raise RuntimeError("boom")
    assert state.items.get("half") is None and state.items.get("kept") == 1
    with db.transaction(), db.transaction():
        state.items.put("nested", 2)
    assert state.items.get("nested") == 2


def test_a_final_write_returns_what_it_replaced_and_seals_the_transaction(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    with db.transaction():
        assert state.items.put_final("k", [1, "one"]) is None  # absent
    with db.transaction():
        assert state.items.put_final("k", [2, "two"]) == '[1,"one"]'  # the stored text it replaced
        with pytest.raises(RuntimeError):  # alone, it committed: nothing else can commit with it
            state.items.put("other", 1)
    assert state.items.get("k") == [2, "two"] and state.items.get("other") is None
    state.items.put("other", 1)  # the next transaction writes as usual
    with pytest.raises(RuntimeError), db.transaction():
        state.items.put("half", 1)
        assert state.items.put_final("k", [3, "three"]) == '[2,"two"]'
        raise RuntimeError("boom")  # after other writes it is one of them: undone with them
    assert state.items.get("half") is None and state.items.get("k") == [2, "two"]


def test_rollback_callbacks_run_only_when_the_transaction_fails(db: Database) -> None:
    undone: list[str] = []
    db.on_rollback(lambda: undone.append("outside"))  # no transaction: nothing to undo, not kept
    with db.transaction():
        db.on_rollback(lambda: undone.append("committed"))
    with pytest.raises(RuntimeError), db.transaction():
        with db.transaction():
            db.on_rollback(lambda: undone.append("inner"))
        db.on_rollback(lambda: undone.append("read only"))  # no write: still an exception exit
        raise RuntimeError("boom")
    with db.transaction():
        pass
    assert undone == ["inner", "read only"]


def test_state_survives_reopening(tmp_path) -> None:  # noqa: ANN001
    path = str(tmp_path / "state.db")
    db = Database(path)
    ExampleState(db, "1", "r").items.put("k", {"nested": [1, "two"]})
    db.close()
    db = Database(path)
    assert ExampleState(db, "1", "r").items.get("k") == {"nested": [1, "two"]}
    db.close()


def test_reset_walks_the_declared_tables(db: Database) -> None:
    state = ExampleState(db, "1", "r")
    state.items.put("a", 1)
    state.names.put("b", 2)

    class Other(State):
        service = "other"
        things = Table()

    Other(db, "1", "r").things.put("c", 3)
    assert set(ExampleState.tables()) == {"items", "accounts", "names"}
    ExampleState.reset(db)
    assert state.items.get("a") is None and state.names.get("b") is None
    assert Other(db, "1", "r").things.get("c") == 3


def test_blobs_are_written_whole_and_ids_are_ours(tmp_path) -> None:  # noqa: ANN001
    blobs = BlobStore(str(tmp_path / "blobs"))

    async def chunks():  # noqa: ANN202
        for part in (b"hello ", b"world"):
            yield part

    info = asyncio.run(blobs.write(chunks()))
    assert info.size == 11 and info.md5 == "5eb63bbbe01eeed093cb22bb8f5acdc3"

    async def read() -> bytes:
        return b"".join([c async for c in blobs.read(info.id, 6)])

    assert asyncio.run(read()) == b"world"
    with pytest.raises(ValueError):
        blobs.path("../../etc/passwd")
    assert not [p for p in (tmp_path / "blobs" / "tmp").iterdir()]
    blobs.delete(info.id)
    with pytest.raises(FileNotFoundError):
        blobs.size(info.id)
