-- A relayed message is safe once the bus can lose it no more. RabbitMQ's confirm is that
-- moment (persistent message, quorum queue), but the in-process bus of the embedded default
-- holds messages in memory: one handed to it and not yet consumed died with the process, and
-- `sent_at` alone could not tell it apart from a message its consumer had applied (the probe
-- lost 997s and 849s on a plain SIGTERM). `settled_at` is when the message stopped needing
-- its outbox row: the broker's confirm, or, on the in-process bus, the moment every queue it
-- was routed to acked it (after the consumer's commit) or parked it. At start the relay
-- publishes again each row handed to the in-process bus and never settled; consumers skip a
-- message id they applied. Rows relayed before this migration count as settled when sent,
-- as they did then.
ALTER TABLE outbox ADD COLUMN settled_at TIMESTAMPTZ;
UPDATE outbox SET settled_at = sent_at WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_unsettled ON outbox (id) WHERE settled_at IS NULL;
