//! SFTP drop folders: per-partner inbox/outbox, complete-file detection, atomic writes.
