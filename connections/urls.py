"""Routes of the connections app."""

from django.urls import path

from connections import price_views, views

urlpatterns = [
    path("connections/", views.connection_list, name="connections"),
    path("connections/<int:pk>/edit/", views.connection_edit, name="connection-edit"),
    path("connections/<int:pk>/delete/", views.connection_delete, name="connection-delete"),
    path("connections/<int:pk>/test/", views.connection_test, name="connection-test"),
    path("connections/prices/", price_views.price_list, name="prices"),
    path("connections/prices/<int:pk>/edit/", price_views.price_edit, name="price-edit"),
    path("connections/prices/<int:pk>/delete/", price_views.price_delete, name="price-delete"),
]
