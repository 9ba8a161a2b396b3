"""The employee's resumption pages under their personal link (/me/<token>/return/)."""

from django.urls import path

from resumption import personal_views

app_name = "my_return"
urlpatterns = [
    path("", personal_views.declaration, name="declaration"),
]
