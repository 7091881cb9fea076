-- Found by the benchmark of the personal links, then by a test that reads every query plan of a poll's answers
-- (tests/web/test_query_plans.py): a poll's slots were found by reading every slot of every poll (15,000 rows read
-- to show three), a site's contacts by reading every contact, the next coalesced tally edit by reading every poll.
CREATE INDEX poll_slots_poll ON poll_slots (poll_id, day);
CREATE INDEX outsiders_target ON outsiders (kind, target_id);
CREATE INDEX polls_tally_due ON polls (tally_due_at) WHERE tally_due_at IS NOT NULL;
