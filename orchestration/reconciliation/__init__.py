"""CLO reconciliation: match a workbook's holdings with a trustee, Geneva or Bloomberg statement."""
