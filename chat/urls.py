"""Routes of the chat app. Names are the contract between views, templates and tests."""

from django.urls import path

from chat.views import (
    attachments,
    conversations,
    editing,
    messages,
    panes,
    playground,
    transfer,
)

urlpatterns = [
    # Conversation list in the sidebar (chat/views/conversations.py)
    path("c/new/", conversations.conversation_new, name="conversation-new"),
    path("c/search/", conversations.conversation_search, name="conversation-search"),
    # Export and import (chat/views/transfer.py)
    path("c/import/", transfer.import_conversation, name="conversation-import"),
    path("c/<int:pk>/export.json", transfer.export_json, name="conversation-export-json"),
    path("c/<int:pk>/export.md", transfer.export_markdown, name="conversation-export-markdown"),
    path("c/<int:pk>/rename/", conversations.conversation_rename, name="conversation-rename"),
    path("c/<int:pk>/delete/", conversations.conversation_delete, name="conversation-delete"),
    path("c/<int:pk>/share/", conversations.conversation_share, name="conversation-share"),
    # The playground screen (chat/views/playground.py)
    path("", playground.home, name="home"),
    path("c/<int:pk>/", playground.conversation, name="conversation"),
    path("c/<int:pk>/models/", playground.model_options, name="model-options"),
    path("c/<int:pk>/models/all/", playground.model_picker, name="model-picker"),
    path(
        "c/<int:pk>/models/capabilities/", playground.model_capabilities, name="model-capabilities"
    ),  # fmt: skip
    # Panes (chat/views/panes.py)
    path("c/<int:pk>/panes/", panes.add, name="pane-add"),
    path("c/<int:pk>/panes/<int:pane_id>/settings/", panes.save_settings, name="pane-settings"),
    path("c/<int:pk>/panes/<int:pane_id>/duplicate/", panes.duplicate, name="pane-duplicate"),
    path("c/<int:pk>/panes/<int:pane_id>/move/", panes.move, name="pane-move"),
    path("c/<int:pk>/panes/<int:pane_id>/remove/", panes.remove, name="pane-remove"),
    path("c/<int:pk>/panes/<int:pane_id>/code/", panes.view_code, name="pane-code"),
    path("c/<int:pk>/sync/", panes.sync, name="conversation-sync"),
    # Messages (chat/views/messages.py)
    path("messages/<int:pk>/raw/", messages.raw, name="message-raw"),
    path("messages/<int:pk>/fork/", messages.fork_from_here, name="message-fork"),
    path("messages/<int:pk>/delete/", messages.delete, name="message-delete"),
    path("c/<int:pk>/messages/", messages.add, name="message-add"),
    # Changing what was said (chat/views/editing.py)
    path("messages/<int:pk>/edit/", editing.edit, name="message-edit"),
    path("messages/<int:pk>/alternative/", editing.alternative, name="message-alternative"),
    # Attachments (chat/views/attachments.py)
    path("c/<int:pk>/attachments/", attachments.upload, name="attachment-upload"),
    path(
        "c/<int:pk>/attachments/<uuid:attachment_id>/remove/",
        attachments.remove,
        name="attachment-remove",
    ),  # fmt: skip
    path("attachments/<uuid:attachment_id>/", attachments.read, name="attachment"),
]
