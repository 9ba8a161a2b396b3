"""Pages of the resumption app."""

from django.urls import path

from resumption import views

app_name = "resumption"
urlpatterns = [
    path("", views.home, name="home"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:pk>/", views.declaration_edit, name="declaration_edit"),
    path("declarations/import/", views.declaration_import, name="declaration_import"),
    path("declarations/template.xlsx", views.declaration_template, name="declaration_template"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/phases/", views.phase_add, name="phase_add"),
    path("phases/<int:pk>/remove/", views.phase_remove, name="phase_remove"),
    path(
        "applications/<int:pk>/transition/",
        views.application_transition,
        name="application_transition",
    ),
    path("applications/<int:pk>/plan/", views.plan, name="plan"),
    path("applications/<int:pk>/plan/compute/", views.plan_compute, name="plan_compute"),
    path("applications/<int:pk>/plan/publish/", views.plan_publish, name="plan_publish"),
    path("assignments/<int:pk>/pin/", views.assignment_pin, name="assignment_pin"),
    path("attendance/", views.attendance, name="attendance"),
    path("attendance/<int:pk>/", views.attendance_correct, name="attendance_correct"),
    path("contacts/<int:pk>/", views.contacts, name="contacts"),
    path("overview/", views.overview, name="overview"),
    path("waves/", views.waves, name="waves"),
    path("waves/compute/", views.wave_compute, name="wave_compute"),
    path("waves/<int:pk>/publish/", views.wave_publish, name="wave_publish"),
]
