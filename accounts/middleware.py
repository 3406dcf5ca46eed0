"""First run and sign-in: before any account exists every page leads to /setup/; after that
every page but sign-in needs a signed-in user."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

OPEN_PATHS = ("/login/", "/setup/", "/invite/")  # an invite link makes its account


class FirstRunMiddleware:
    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response
        self._has_users = False  # once true it stays true: no query per request after that

    def has_users(self) -> bool:
        if not self._has_users:
            self._has_users = get_user_model().objects.exists()
        return self._has_users

    def __call__(self, request):  # type: ignore[no-untyped-def]
        path = request.path_info
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return self.get_response(request)
        if not self.has_users():
            if path != reverse("setup"):
                return redirect("setup")
            return self.get_response(request)
        if not request.user.is_authenticated and not path.startswith(OPEN_PATHS):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
