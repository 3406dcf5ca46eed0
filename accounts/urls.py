"""Routes of the accounts app."""

from django.urls import path

from accounts import team_views, views

urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("team/", views.team, name="team"),
    path("teams/new/", team_views.create, name="team-create"),
    path("teams/<int:pk>/", team_views.team_page, name="team-detail"),
    path("teams/<int:pk>/invite/", team_views.invite, name="team-invite"),
    path("teams/<int:pk>/members/<int:member_id>/role/", team_views.change_role, name="team-role"),
    path("teams/<int:pk>/members/<int:member_id>/remove/", team_views.remove, name="team-remove"),
    path("invite/<str:token>/", team_views.accept_invite, name="invite"),
]
