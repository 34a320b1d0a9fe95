"""Isolation registry entries of the journeys views (advisor part); see tests/isolation_registry.py."""

from __future__ import annotations

from tests.isolation import NoTenantObject, TenantObjectView

REGISTRY: list[TenantObjectView | NoTenantObject] = []
