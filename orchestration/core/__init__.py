"""The platform spine every domain builds on: settings, warehouse, landing zone, partitions, dbt."""
