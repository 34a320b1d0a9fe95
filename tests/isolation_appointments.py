"""Isolation registry entries of the appointments views (issue 6); see tests/isolation_registry.py."""

from __future__ import annotations

from tests.isolation import NoTenantObject, TenantObjectView

REGISTRY: list[TenantObjectView | NoTenantObject] = []
