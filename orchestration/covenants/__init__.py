"""Covenants (seed 001, Covenant Radar): deals, covenant evaluation, and the XGBoost breach-risk model."""
