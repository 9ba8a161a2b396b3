"""Reads: a user's inbox, an organisation's group robots and its delivery log."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.db.models.lookups import IsNull
from django.http import Http404

from accounts.models import RoleGrant, User
from notify.models import ChannelConfig, Delivery, InboxItem

# The inbox's order, matching the `inbox_page` index: unread first, then newest.
INBOX_ORDER = (
    IsNull(F("read_at"), True).desc(),
    F("created_at").desc(),
    F("id").desc(),
)


def inbox_list(*, user: User) -> QuerySet[InboxItem]:
    """The user's own inbox, unread first, then newest."""
    return InboxItem.objects.filter(user=user).order_by(*INBOX_ORDER)


def inbox_get(*, user: User, pk: int) -> InboxItem:
    """One of the user's own inbox items; anybody else's is 404."""
    item = InboxItem.objects.filter(user=user, pk=pk).select_related("organization").first()
    if item is None:
        raise Http404
    return item


def inbox_unread_count(*, user: User) -> int:
    """How many unread items the user has (the partial `inbox_unread` index counts them)."""
    return InboxItem.objects.filter(user=user, read_at__isnull=True).count()


def robot_list(*, viewer: RoleGrant) -> QuerySet[ChannelConfig]:
    """The group robots of the viewer's organisation."""
    return ChannelConfig.objects.filter(organization=viewer.organization).order_by("name", "pk")


def robot_get(*, viewer: RoleGrant, pk: int) -> ChannelConfig:
    """One robot of the viewer's organisation; any other is 404."""
    robot = robot_list(viewer=viewer).select_related("organization").filter(pk=pk).first()
    if robot is None:
        raise Http404
    return robot


def delivery_list(*, viewer: RoleGrant, status: str = "", channel: str = "") -> QuerySet[Delivery]:
    """The viewer's organisation's delivery log, newest first: what it sent (its scope), and
    what reached its own group robots from others."""
    organization = viewer.organization
    robots = list(
        ChannelConfig.objects.filter(organization=organization).values_list("pk", flat=True)
    )
    mine = Q(scope=organization)
    if robots:
        mine |= Q(robot_id__in=robots)
    deliveries = Delivery.objects.filter(mine)
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    return deliveries.select_related("robot").order_by("-created_at", "-id")


def delivery_get(*, viewer: RoleGrant, pk: int) -> Delivery:
    """One delivery of the viewer's log; any other is 404."""
    delivery = delivery_list(viewer=viewer).filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return delivery
