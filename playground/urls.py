from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("connections.urls")),
    path("", include("chat.urls")),
    path("", include("compare.urls")),
    path("", include("library.urls")),
]
