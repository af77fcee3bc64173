"""CLO compliance: concentration, coverage, quality and diversity tests over a workbook's holdings."""
