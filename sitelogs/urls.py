"""Pages of the sitelogs app."""

from django.urls import path

from sitelogs import views

app_name = "sitelogs"
urlpatterns = [
    path("", views.index, name="index"),
    path("site/<int:pk>/", views.site_day, name="site"),
    path("site/<int:pk>/record/", views.record, name="record"),
    path("site/<int:pk>/history/", views.history, name="history"),
    path("site/<int:pk>/schedules/", views.schedules, name="schedules"),
    path("entry/<int:pk>/correct/", views.correct, name="correct"),
    path("entry/<int:pk>/photo/", views.photo, name="photo"),
    path("association/", views.association, name="association"),
    path("federation/", views.federation, name="federation"),
]
