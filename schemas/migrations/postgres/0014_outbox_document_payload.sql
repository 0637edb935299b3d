-- An outbound document was stored twice: as `documents.body` and again, byte for byte, as its
-- message's `outbox.payload` (a sales report's 844 is megabytes, written and lz4-compressed
-- twice in claim #1's transaction). Such a message now names its document instead and leaves
-- `payload` NULL; the relay reads the body through the join. Every other message (inbound
-- documents, rendered files) and every existing row keeps its own payload, read as before.
ALTER TABLE outbox ADD COLUMN document_id UUID REFERENCES documents (id);
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_payload_or_document
    CHECK ((payload IS NULL) <> (document_id IS NULL));
