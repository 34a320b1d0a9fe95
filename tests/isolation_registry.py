"""Every URL pattern of the project, classified for the isolation harness (see tests/isolation.py).

Each issue that adds a view registers it here. A `TenantObjectView` is checked for
404 across Fabriques for every persona; a `NoTenantObject` says why it needs no check.
"""

from __future__ import annotations

from tests.isolation import NoTenantObject, TenantObjectView

REGISTRY: list[TenantObjectView | NoTenantObject] = [
    NoTenantObject("home", "the current Fabrique's own page (or the national list of public Fabrique names)"),
    NoTenantObject("healthz", "infrastructure status, no data"),
    NoTenantObject("robots_txt", "static text"),
    NoTenantObject("fabrique_logo", "the current Fabrique's own logo, resolved from the host"),
    NoTenantObject("styleguide", "static component gallery, platform staff only"),
]
