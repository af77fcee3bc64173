"""Downloadable CLO reports (PDF and XLSX) rendered from report templates in assets_config/reports/."""
