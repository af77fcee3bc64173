"""The landing spine: one `landed_files` asset and one landing sensor per domain."""
