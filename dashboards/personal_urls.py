"""The employee's home under their personal link (/me/<token>/)."""

from django.urls import path

from dashboards import personal

app_name = "personal"
urlpatterns = [
    path("", personal.home, name="home"),
]
