from django.urls import path

from dashboards import compliance, views

app_name = "dashboards"
urlpatterns = [
    path("home/", views.home, name="home"),
    path("compliance/", compliance.compliance, name="compliance"),
    path(
        "compliance/association/<int:pk>/",
        compliance.compliance_association,
        name="compliance_association",
    ),
]
