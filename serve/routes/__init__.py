"""The service's routes, one module per concern: predict, suggest, digest, ops (health, metrics, model), admin."""

from __future__ import annotations

from serve.routes import admin, digest, ops, predict, suggest

__all__ = ["ROUTERS"]

ROUTERS = (predict.router, suggest.router, digest.router, ops.router, admin.router)
