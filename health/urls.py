from django.urls import path

from health import views

app_name = "health"
urlpatterns = [
    path("", views.today, name="today"),
    path("remind/", views.remind, name="remind"),
    path("observations/", views.observation_list, name="observations"),
    path("observations/new/", views.observation_new, name="observation_new"),
    path("observations/<int:pk>/", views.observation_release, name="observation_release"),
    path("checkin/<int:pk>/", views.checkin_on_behalf, name="checkin_on_behalf"),
    path("import/", views.checkin_import, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_status, name="import_status"),
    path("export/", views.checkin_export, name="export"),
    path("settings/", views.checkin_settings, name="settings"),
    path("association/", views.association, name="association"),
    path("federation/", views.federation, name="federation"),
]
