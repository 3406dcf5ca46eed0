"""Routes of the library app."""

from django.urls import path

from library import views

urlpatterns = [
    path("library/", views.index, name="library"),
    path("library/save/", views.save, name="library-save"),
    path("library/p/<int:pk>/", views.prompt_page, name="library-prompt"),
    path("library/p/<int:pk>/diff/", views.diff, name="library-diff"),
    path("library/p/<int:pk>/labels/", views.move_label, name="library-label"),
    path("library/p/<int:pk>/open/", views.open_in_playground, name="library-open"),
    path("library/p/<int:pk>/compare/", views.compare_versions, name="library-compare"),
    path("library/p/<int:pk>/delete/", views.delete, name="library-delete"),
    path("library/v/<int:pk>/restore/", views.restore, name="library-restore"),
]
