"""An employee's check-in pages under their personal link (/me/<token>/)."""

from django.urls import path

from health import personal_views

app_name = "checkin"
urlpatterns = [
    path("consent/", personal_views.consent, name="consent"),
    path("checkin/", personal_views.checkin_form, name="form"),
    path("checkin/quick/", personal_views.quick, name="quick"),
    path("pass/", personal_views.pass_page, name="pass"),
    path("history/", personal_views.history, name="history"),
]
