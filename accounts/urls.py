"""Routes of the accounts app."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("team/", views.team, name="team"),
]
