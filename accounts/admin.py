"""Teams, memberships and invites in the Django admin (an invite's token is never stored,
so it cannot be shown here either)."""

from django.contrib import admin

from accounts.models import Invite, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "personal_for", "created_at")
    search_fields = ("name",)
    inlines = [MembershipInline]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ("team", "role", "created_by", "expires_at", "used_at", "used_by")
    readonly_fields = ("token_sha256",)
