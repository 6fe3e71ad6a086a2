"""A family's notifications (the outbox), its notification preferences and the undeliverable
flag."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import attrs
from litestar import delete, get, put

from rocket_core.model import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from rocket_core.permissions import Actor
from rocket_core.services.notifications import (
    NotificationService,
    NotificationSettings,
    notification_settings,
)
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
TAGS = ["notifications"]


@attrs.frozen
class NotificationOut:
    """One notification to the family: what it says, and where it is in the outbox
    (queued, sent, failed or cancelled)."""

    id: UUID
    kind: NotificationKind
    channel: NotificationChannel
    subject: str
    body: str
    status: NotificationStatus
    created_at: datetime
    due_at: datetime
    attempts: int
    last_error: str | None
    sent_to: str | None
    sent_at: datetime | None


@attrs.frozen
class KindSettingOut:
    """One kind of notification: whether the family receives it, and whether it is critical
    (always sent, cannot be switched off)."""

    kind: NotificationKind
    enabled: bool
    critical: bool


@attrs.frozen
class NotificationSettingsOut:
    """A family's notification settings. ``undeliverable``: mail to it bounced, nothing is
    sent until the flag is cleared (or the primary e-mail changes)."""

    family_id: UUID
    kinds: list[KindSettingOut]
    undeliverable: bool
    undeliverable_at: datetime | None
    undeliverable_reason: str | None


@attrs.frozen
class PreferencesIn:
    """The kinds the family switches off (all others are on). Critical kinds cannot be
    switched off."""

    opt_outs: list[NotificationKind]


def _notification(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        channel=notification.type,
        subject=notification.subject,
        body=notification.body,
        status=notification.status,
        created_at=notification.created_at,
        due_at=notification.due_at,
        attempts=notification.attempts,
        last_error=notification.last_error,
        sent_to=notification.sent_to,
        sent_at=notification.sent_at,
    )


def _settings(settings: NotificationSettings) -> NotificationSettingsOut:
    return NotificationSettingsOut(
        family_id=settings.family_id,
        kinds=[
            KindSettingOut(kind=k.kind, enabled=k.enabled, critical=k.critical)
            for k in settings.kinds
        ],
        undeliverable=settings.is_undeliverable,
        undeliverable_at=settings.undeliverable_at,
        undeliverable_reason=settings.undeliverable_reason,
    )


@get("/families/{family_id:uuid}/notifications", opt=STAFF, sync_to_thread=True, tags=TAGS)
def family_notifications(
    family_id: UUID,
    actor: Actor,
    notifications: NotificationService,
    status: NotificationStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[NotificationOut]:
    """The notifications to a family, oldest first (all of them, or those with ``status``)."""
    found = notifications.list_for_family(actor, family_id, status)
    return page([_notification(n) for n in found], limit, offset)


@get(
    "/families/{family_id:uuid}/notification-preferences",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
)
def preferences(
    family_id: UUID, actor: Actor, notifications: NotificationService
) -> NotificationSettingsOut:
    """Which kinds of notification the family receives, and the undeliverable flag."""
    return _settings(notifications.settings(actor, family_id))


@put(
    "/families/{family_id:uuid}/notification-preferences",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
)
def set_preferences(
    family_id: UUID, data: PreferencesIn, actor: Actor, notifications: NotificationService
) -> NotificationSettingsOut:
    """Switch off exactly the kinds listed (the others are on)."""
    family = notifications.set_preferences(actor, family_id, data.opt_outs)
    return _settings(notification_settings(family))


@delete(
    "/families/{family_id:uuid}/undeliverable",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def clear_undeliverable(
    family_id: UUID, actor: Actor, notifications: NotificationService
) -> NotificationSettingsOut:
    """Send to the family again after a bounce (its address was checked or fixed)."""
    family = notifications.clear_undeliverable(actor, family_id)
    return _settings(notification_settings(family))


ROUTES = [family_notifications, preferences, set_preferences, clear_undeliverable]
