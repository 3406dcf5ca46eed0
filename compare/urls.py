"""Routes of the compare app."""

from django.urls import path

from compare import leaderboard, views

urlpatterns = [
    path("c/<int:pk>/compare/", views.turn, name="compare-turn"),
    path("c/<int:pk>/compare/diff/", views.differences, name="compare-diff"),
    path("c/<int:pk>/compare/vote/", views.vote, name="compare-vote"),
    path("c/<int:pk>/compare/blind/", views.blind_mode, name="compare-blind"),
    path("arena/leaderboard/", leaderboard.page, name="arena-leaderboard"),
    path("arena/votes.<str:fmt>", leaderboard.export, name="arena-votes"),
]
