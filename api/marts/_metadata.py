"""The one SQLAlchemy `MetaData` every mart declaration is registered on."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
