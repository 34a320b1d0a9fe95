"""Background verification of declared address checks (QPV membership), scheduled by Celery beat.

Both tasks are idempotent: they take primary keys, re-read the rows, skip checks that are
no longer DECLARED or not yet due (backoff and attempt limit, see
`territories.address_checks.address_checks_due_for_verification`), and save with
`update_fields`.
"""

from __future__ import annotations

from celery import shared_task

from territories.address_checks import (
    address_check_verify,
    address_checks_due_for_verification,
    address_checks_purge_orphans,
)
from territories.models import AddressCheck

# One sweep verifies at most this many checks; the next sweep takes the rest.
SWEEP_BATCH_SIZE = 200


@shared_task(name="territories.address_check_verify_one", ignore_result=True)
def address_check_verify_one(pk: int) -> str:
    """Verify one declared check if it is due; returns its status afterwards, or "skipped"."""
    check = address_checks_due_for_verification().filter(pk=pk).first()
    if check is None:
        return "skipped"
    return str(address_check_verify(check=check).status)


@shared_task(name="territories.address_checks_verify_pending", ignore_result=True)
def address_checks_verify_pending(limit: int = SWEEP_BATCH_SIZE) -> int:
    """Verify the declared checks that are due, stopping at the first outage; returns how many were settled."""
    settled = 0
    for pk in list(address_checks_due_for_verification().values_list("pk", flat=True)[:limit]):
        check = address_checks_due_for_verification().filter(pk=pk).first()
        if check is None:  # settled meanwhile (by address_check_verify_one)
            continue
        if address_check_verify(check=check).status == AddressCheck.Status.DECLARED:
            # The BAN is still unavailable: the other checks keep their attempts for a later sweep.
            break
        settled += 1
    return settled


@shared_task(name="territories.address_checks_purge_orphans", ignore_result=True)
def address_checks_purge_orphans_task() -> int:
    """Data minimisation: delete old checks no one refers to (idempotent)."""
    return address_checks_purge_orphans()
