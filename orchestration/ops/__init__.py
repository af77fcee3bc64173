"""The platform's own operations: the landing spine, the configuration, webhook deliveries and DLQ announcements."""
