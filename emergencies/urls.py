from django.urls import path

from emergencies import views

app_name = "emergencies"
urlpatterns = [
    path("", views.emergency_list, name="emergency_list"),
    path("new/", views.emergency_create, name="emergency_create"),
    path("<int:pk>/close/", views.emergency_close, name="emergency_close"),
    path("rules/new/", views.rule_publish, name="rule_publish"),
]
