"""Verifying a clearance pass (/pass/<pass_token>/): what a scanned pass QR code opens.

Separate from /me/<token>/ on purpose: the QR code must not carry the employee's
personal link, or whoever scans it could act as the employee.
"""

from django.urls import path

from health import personal_views

app_name = "clearance"
urlpatterns = [
    path("<str:pass_token>/", personal_views.verify, name="verify"),
]
