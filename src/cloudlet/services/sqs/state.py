"""SQS's declared state.

A queue has a record under its name and a random id (``qid``) for this
incarnation; every message table is keyed by that id first, so a deleted and
re-created queue never sees its predecessor's messages, and a queue's rows are
one key range.  Keys are space-separated fixed-width numbers (a space sorts
below every character a group or deduplication id may hold):

  messages        "<qid> <seq>"                  the message and its receive state (``v``: visible-at; the
                                                 visibility index in memory is built from these, visibility.py)
  groups          "<qid> <group>"                FIFO: the group's key in ``group_index``
  group_index     "<qid> <available_at> <seq>"   FIFO: groups by when their head can be received
  group_messages  "<qid> <group> <seq>"          FIFO: a group's messages in order
  dedup           "<qid> <scope> <id>"           FIFO: deduplication ids seen in the last 5 minutes
  attempts        "<qid> <attempt id>"           FIFO: ReceiveRequestAttemptId results (5 minutes)
  expiries        "<qid> <at> <table> <key>"     when dedup and attempt entries lapse

Times are milliseconds by Cloudlet's clock, written as 15 digits; sequence
numbers are 17 digits.
"""

from __future__ import annotations

from cloudlet.store.scope import State, Table


class SqsState(State):
    service = "sqs"
    queues = Table()
    deleted = Table()  # name -> when it was deleted (a name is not reusable for 60 s)
    messages = Table()
    groups = Table()
    group_index = Table()
    group_messages = Table()
    dedup = Table()
    attempts = Table()
    expiries = Table()
    tasks = Table()  # message move tasks by id


def ms(value: int) -> str:
    """A time in milliseconds as it sorts in keys."""
    return f"{value:015d}"


def sq(value: int) -> str:
    """A sequence number as it sorts in keys."""
    return f"{value:017d}"
