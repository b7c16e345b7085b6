"""Amazon SQS: standard and FIFO queues with AWS's delivery semantics, durable in SQLite."""
