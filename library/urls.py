"""Routes of the library app."""

from django.urls import path

from library import finding, schema_views, tool_views, transfer_views, views

urlpatterns = [
    path("library/", finding.index, name="library"),
    path("library/tags/<str:kind>/<int:pk>/", finding.set_tags, name="library-tags"),
    path("library/save/", views.save, name="library-save"),
    path("library/import/", transfer_views.import_prompt, name="library-import"),
    path("library/p/<int:pk>/export.json", transfer_views.export, name="library-export"),
    path("library/p/<int:pk>/", views.prompt_page, name="library-prompt"),
    path("library/p/<int:pk>/diff/", views.diff, name="library-diff"),
    path("library/p/<int:pk>/labels/", views.move_label, name="library-label"),
    path("library/p/<int:pk>/open/", views.open_in_playground, name="library-open"),
    path("library/p/<int:pk>/compare/", views.compare_versions, name="library-compare"),
    path("library/p/<int:pk>/delete/", views.delete, name="library-delete"),
    path("library/v/<int:pk>/restore/", views.restore, name="library-restore"),
    path("library/tools/", tool_views.index, name="library-tools"),
    path("library/tools/add/", tool_views.add, name="library-tool-add"),
    path("library/tools/export.json", tool_views.export, name="library-tools-export"),
    path("library/t/<int:pk>/", tool_views.tool_page, name="library-tool"),
    path("library/t/<int:pk>/version/", tool_views.save_version, name="library-tool-version"),
    path("library/t/<int:pk>/fixtures/", tool_views.add_fixture, name="library-tool-fixture"),
    path("library/t/<int:pk>/delete/", tool_views.delete, name="library-tool-delete"),
    path(
        "library/fixtures/from-message/<int:pk>/",
        tool_views.fixture_from_message,
        name="library-fixture-from-message",
    ),
    path("library/schemas/", schema_views.index, name="library-schemas"),
    path("library/schemas/add/", schema_views.add, name="library-schema-add"),
    path("library/s/<int:pk>/", schema_views.schema_page, name="library-schema"),
    path("library/s/<int:pk>/version/", schema_views.save_version, name="library-schema-version"),
    path("library/s/<int:pk>/delete/", schema_views.delete, name="library-schema-delete"),
    path("library/sv/<int:pk>/use/", schema_views.use_in_pane, name="library-schema-use"),
]
