"""Routes of the compare app."""

from django.urls import path

from compare import views

urlpatterns = [
    path("c/<int:pk>/compare/", views.turn, name="compare-turn"),
    path("c/<int:pk>/compare/diff/", views.differences, name="compare-diff"),
]
