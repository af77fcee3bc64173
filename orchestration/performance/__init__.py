"""Performance analytics (seed 002) and P&L facts (seed 003): pure calculations, assets, demo data."""
