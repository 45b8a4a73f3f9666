"""The smart-border feed: crossing records as a border system would deliver them, records a run
would have produced (for exercises run as if live), and their ingestion into hourly counts."""
