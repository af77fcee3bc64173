"""CLO workbooks (seed 000, CalcBridge v2): ingestion, sheets, column mapping, holdings, data quality and insights."""
