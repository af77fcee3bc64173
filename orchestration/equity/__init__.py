"""Equity risk (seed 004, SigmaSight): positions, market data, valuation, Greeks, factor betas, risk, snapshots."""
