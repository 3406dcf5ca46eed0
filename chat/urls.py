"""Routes of the chat app. Names are the contract between views, templates and tests."""

from django.urls import path

from chat.views import attachments, conversations, playground

urlpatterns = [
    # Conversation list in the sidebar (chat/views/conversations.py)
    path("c/new/", conversations.conversation_new, name="conversation-new"),
    path("c/<int:pk>/rename/", conversations.conversation_rename, name="conversation-rename"),
    path("c/<int:pk>/delete/", conversations.conversation_delete, name="conversation-delete"),
    # The playground screen (chat/views/playground.py)
    path("", playground.home, name="home"),
    path("c/<int:pk>/", playground.conversation, name="conversation"),
    path("c/<int:pk>/settings/", playground.save_settings, name="conversation-settings"),
    path("c/<int:pk>/models/", playground.model_options, name="model-options"),
    path("c/<int:pk>/models/all/", playground.model_picker, name="model-picker"),
    path(
        "c/<int:pk>/models/capabilities/",
        playground.model_capabilities,
        name="model-capabilities",
    ),
    # Attachments (chat/views/attachments.py)
    path("c/<int:pk>/attachments/", attachments.upload, name="attachment-upload"),
    path(
        "c/<int:pk>/attachments/<uuid:attachment_id>/remove/",
        attachments.remove,
        name="attachment-remove",
    ),
    path("attachments/<uuid:attachment_id>/", attachments.read, name="attachment"),
]
