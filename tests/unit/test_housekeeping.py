"""The controller's housekeeping for one switch: state writes and flow-table readings, each
held to its share of the controller's time; a reply read in parts."""

from controllers.housekeeping import AUDIT_EVERY, AUDIT_PATIENCE, SHARE, Housekeeping


def test_the_state_is_written_at_once_then_as_often_as_its_share_allows():
    house = Housekeeping(now=100.0)
    assert house.save_due(100.0)
    house.saved(100.0, 100.001)  # a small table: 1 ms a write
    assert not house.save_due(100.01) and house.save_due(100.0 + 0.001 / SHARE + 1e-9)
    house.saved(200.0, 200.1)  # thousands of sessions: 100 ms a write
    assert not house.save_due(201.0) and house.save_due(200.0 + 0.1 / SHARE + 1e-9)


def test_a_reply_in_parts_is_one_reading_and_another_requests_reply_is_ignored():
    house = Housekeeping(now=0.0)
    house.asked(1.0, xid=7, adopting=True, parts=1)
    assert house.reply(6, ["stale"], more=False) is None  # an earlier request's
    assert house.reply(7, ["a", "b"], more=True) is None
    reading = house.reply(7, ["c"], more=False)
    assert reading.stats == ["a", "b", "c"] and reading.adopting and reading.asked_at == 1.0
    assert house.reply(7, ["d"], more=False) is None  # nothing is being read any more


def test_an_audit_reads_a_slice_each_tenth_of_the_period_unless_reading_costs_more():
    house = Housekeeping(now=0.0)
    assert not house.audit_due(AUDIT_EVERY - 1) and house.audit_due(AUDIT_EVERY)
    house.asked(10.0, xid=1, adopting=False, parts=10)
    assert not house.audit_due(11.0)  # one reading at a time
    house.read(house.reply(1, [], more=False), now=10.01, ended=10.02)  # cheap: 20 ms
    assert house.audit_due(10.01 + AUDIT_EVERY / 10 + 1e-9)
    house.asked(20.0, xid=2, adopting=False, parts=10)
    house.read(house.reply(2, [], more=False), now=21.0, ended=21.5)  # 1.5 s of reading
    assert not house.audit_due(21.0 + AUDIT_EVERY / 10)
    assert house.audit_due(21.0 + 1.5 / SHARE + 1e-9)


def test_a_table_never_sent_is_asked_for_again_after_the_patience():
    house = Housekeeping(now=0.0)
    house.asked(AUDIT_EVERY, xid=1, adopting=False, parts=1)
    assert not house.audit_due(AUDIT_EVERY + AUDIT_PATIENCE)
    assert house.audit_due(AUDIT_EVERY + AUDIT_PATIENCE + 0.1)
