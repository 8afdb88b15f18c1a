"""The outbox in-process: written with the change, published after commit, relayed, run once."""

import socket
import threading
from datetime import timedelta

import pytest
from celery import Celery
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from outbox import enqueue, services
from outbox.models import Message
from outbox.publishing import BrokerUnavailable, Publisher
from readinggroup import requestid
from readinggroup.celery import app

pytestmark = pytest.mark.django_db
effects: list[int] = []


@app.task(name="outbox.tests.record_effect")
def record_effect(value: int) -> int:
    effects.append(value)
    return value


@app.task(name="outbox.tests.fail")
def fail(value: int) -> None:
    raise ValueError(f"cannot do {value}")


@pytest.fixture(autouse=True)
def _no_effects():
    effects.clear()


class FakePublisher:
    """Takes messages like a broker; `down` makes it refuse, `poison` refuses one message for good."""

    def __init__(self, *, down: bool = False, poison: int | None = None) -> None:
        self.sent: list[int] = []
        self.request_ids: list[str] = []
        self.down, self.poison = down, poison

    def publish(self, task_name, args, kwargs, message_id, *, probe=False, request_id="") -> None:
        if self.down:
            raise BrokerUnavailable("connection refused")
        if message_id == self.poison:
            raise TypeError("cannot encode")
        self.sent.append(message_id)
        self.request_ids.append(request_id)


@pytest.fixture
def broker(monkeypatch):
    fake = FakePublisher()
    monkeypatch.setattr(services, "publisher", lambda: fake)
    return fake


def _due(message: Message) -> Message:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    return message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_message_is_written_with_the_change_and_rolled_back_with_it(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture, pytest.raises(RuntimeError), transaction.atomic():
        enqueue(record_effect, 1)
        raise RuntimeError("the change fails")
    assert not Message.objects.exists()
    assert effects == []


def test_in_eager_mode_the_task_runs_on_commit_once_and_is_marked(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(record_effect, 7)
        assert effects == []  # not before the commit
    assert effects == [7]
    message.refresh_from_db()
    assert message.published_at and message.done_at
    assert (message.run_count, message.duplicate_count, message.task) == (1, 0, "outbox.tests.record_effect")


def test_a_task_is_queued_by_its_name_and_a_misspelt_name_is_refused_at_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("outbox.tests.record_effect", 5)
    assert effects == [5]
    with pytest.raises(ValueError, match="outbox.tests.record_efect"):
        enqueue("outbox.tests.record_efect", 5)


def test_a_second_delivery_of_the_same_message_has_no_effect():
    message = Message.objects.create(task=record_effect.name, args=[3])
    for _ in range(3):
        record_effect.apply([3], headers={"outbox_id": message.pk})
    assert effects == [3]
    message.refresh_from_db()
    assert (message.run_count, message.duplicate_count) == (1, 2)


def test_deliveries_without_an_outbox_id_and_plain_calls_run_as_before():
    record_effect.apply([1])
    record_effect(2)
    assert effects == [1, 2]


def test_a_failed_run_is_recorded_and_a_later_delivery_runs_it_again():
    message = Message.objects.create(task=fail.name, args=[5])
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot do 5"):
            fail.apply([5], headers={"outbox_id": message.pk}, throw=True)
    message.refresh_from_db()
    assert (message.run_count, message.done_at) == (2, None)
    assert message.last_error == "ValueError: cannot do 5"


def test_publishing_after_commit_marks_the_message_published(broker):
    message = Message.objects.create(task=record_effect.name, args=[1])
    assert services.messages_publish(messages=[message]) == 1
    assert broker.sent == [message.pk]
    assert Message.objects.get(pk=message.pk).published_at is not None


def test_a_broker_that_is_down_leaves_the_message_to_the_relay(broker):
    broker.down = True
    message = Message.objects.create(task=record_effect.name, args=[1], next_attempt_at=timezone.now())
    assert services.messages_publish(messages=[message]) == 0
    message.refresh_from_db()
    assert (message.published_at, message.publish_attempts) == (None, 1)
    assert message.last_error == "BrokerUnavailable: connection refused"
    assert message.next_attempt_at <= timezone.now()  # the relay takes it at once


def test_messages_queued_together_are_published_by_one_hook_and_marked_by_one_update(
    broker, monkeypatch, django_capture_on_commit_callbacks, django_assert_num_queries
):
    monkeypatch.setattr(services, "_eager", lambda: False)  # as in production: sent to the broker
    with django_capture_on_commit_callbacks() as hooks, transaction.atomic():
        messages = services.enqueue_many(record_effect, [((value,), {}) for value in range(5)])
    assert len(hooks) == 1
    with django_assert_num_queries(1):
        hooks[0]()
    assert broker.sent == [m.pk for m in messages]
    assert Message.objects.filter(published_at__isnull=True).count() == 0


def test_a_broker_that_goes_down_midway_leaves_the_rest_to_the_relay_at_once(broker, monkeypatch):
    messages = [Message.objects.create(task=record_effect.name, args=[value]) for value in range(3)]
    publish = broker.publish

    def down_after_first(task_name, args, kwargs, message_id, *, probe=False, request_id=""):
        broker.down = bool(broker.sent)
        publish(task_name, args, kwargs, message_id, probe=probe)

    monkeypatch.setattr(broker, "publish", down_after_first)
    assert services.messages_publish(messages=messages) == 1
    first, *rest = (Message.objects.get(pk=m.pk) for m in messages)
    assert first.published_at is not None and first.publish_attempts == 0
    for message in rest:
        assert (message.published_at, message.publish_attempts) == (None, 1)
        assert message.next_attempt_at <= timezone.now()


def test_a_message_that_cannot_be_sent_does_not_hold_up_the_others_queued_with_it(broker):
    messages = [Message.objects.create(task=record_effect.name, args=[value]) for value in range(3)]
    broker.poison = messages[1].pk
    assert services.messages_publish(messages=messages) == 2
    assert broker.sent == [messages[0].pk, messages[2].pk]
    assert Message.objects.get(pk=messages[1].pk).published_at is None


def test_a_real_publish_to_a_closed_port_fails_at_once_and_then_skips_the_broker():
    publisher = Publisher(
        Celery("closed", broker=f"redis://127.0.0.1:{_closed_port()}/0", set_as_current=False), timeout=1.0
    )
    with pytest.raises(BrokerUnavailable, match="refused"):
        publisher.publish("outbox.tests.record_effect", [1], {}, 1)
    with pytest.raises(BrokerUnavailable, match="a moment ago"):  # no new attempt for BREAKER_SECONDS
        publisher.publish("outbox.tests.record_effect", [1], {}, 2)
    with pytest.raises(BrokerUnavailable, match="refused"):  # the relay probes anyway
        publisher.publish("outbox.tests.record_effect", [1], {}, 3, probe=True)


def test_the_relay_publishes_due_messages_oldest_first_and_leaves_fresh_ones_alone(broker):
    fresh = enqueue(record_effect, 1)  # its own commit publishes it; the relay waits PUBLISH_GRACE
    older, oldest = _due(enqueue(record_effect, 2)), _due(enqueue(record_effect, 3))
    Message.objects.filter(pk=oldest.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    result = services.messages_relay()
    assert (result.published, result.failed, result.broker_down) == (2, 0, False)
    assert broker.sent == [oldest.pk, older.pk]
    assert Message.objects.get(pk=fresh.pk).published_at is None
    assert services.messages_relay().published == 0  # published ones are not sent again


def test_a_message_keeps_the_request_id_it_was_queued_under_for_the_relay(broker):
    with requestid.bound("proxy-42"):
        message = enqueue(record_effect, 1)
    assert Message.objects.get(pk=message.pk).request_id == "proxy-42"
    _due(message)
    services.messages_relay()
    assert broker.request_ids == ["proxy-42"]


def test_the_relay_stops_at_the_first_broker_failure(broker):
    broker.down = True
    first, second = _due(enqueue(record_effect, 1)), _due(enqueue(record_effect, 2))
    result = services.messages_relay()
    assert (result.published, result.failed, result.broker_down) == (0, 1, True)
    assert Message.objects.get(pk=first.pk).publish_attempts == 1
    assert Message.objects.get(pk=second.pk).publish_attempts == 0
    broker.down = False
    assert services.messages_relay().published == 2


def test_a_message_that_cannot_be_published_backs_off_without_holding_up_the_rest(broker):
    poison, good = _due(enqueue(record_effect, 1)), _due(enqueue(record_effect, 2))
    broker.poison = poison.pk
    result = services.messages_relay()
    assert (result.published, result.failed, result.broker_down) == (1, 1, False)
    poison.refresh_from_db()
    assert poison.next_attempt_at > timezone.now() + timedelta(seconds=5)
    assert poison.last_error == "TypeError: cannot encode"
    assert broker.sent == [good.pk]


def test_old_published_messages_are_purged_and_unpublished_ones_kept():
    now = timezone.now()
    Message.objects.create(task="t", published_at=now - timedelta(days=8))
    recent = Message.objects.create(task="t", published_at=now - timedelta(days=1))
    waiting = Message.objects.create(task="t", created_at=now - timedelta(days=30))
    assert services.messages_purge() == 1
    assert set(Message.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_the_relay_command_publishes_and_reports(broker):
    for value in range(3):
        _due(enqueue(record_effect, value))
    call_command("outbox_relay")
    assert len(broker.sent) == 3 and services.messages_pending() == 0


def test_the_relay_command_fails_when_the_broker_is_down(broker):
    broker.down = True
    _due(enqueue(record_effect, 1))
    with pytest.raises(CommandError, match="broker is unreachable"):
        call_command("outbox_relay")
    assert services.messages_pending() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_delivery_while_another_worker_runs_the_message_is_retried_later_not_dropped():
    message = Message.objects.create(task=record_effect.name, args=[4])
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with services.message_claim(message.pk) as claim:
                assert claim is services.Claim.RUN
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        with services.message_claim(message.pk) as claim:
            assert claim is services.Claim.BUSY
    finally:
        release.set()
        thread.join()
    with services.message_claim(message.pk) as claim:  # its lock went with it
        assert claim is services.Claim.RUN
