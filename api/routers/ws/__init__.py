"""The event stream `/ws` (issue 17): `router` is mounted at the root, `EventHub` runs with the app's lifespan."""

from api.routers.ws.hub import EventHub
from api.routers.ws.routes import router

__all__ = ["EventHub", "router"]
