"""Pages of the training app."""

from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.course_list, name="list"),
    path("new/", views.course_create, name="course_create"),
    path("completion/", views.rollup, name="rollup"),
    path("<int:pk>/", views.course_detail, name="course_detail"),
    path("<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("<int:pk>/publish/", views.course_publish, name="course_publish"),
    path("<int:pk>/questions/", views.question_add, name="question_add"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("<int:pk>/files/", views.file_add, name="file_add"),
    path("files/<int:pk>/", views.file_download, name="file_download"),
    path("files/<int:pk>/delete/", views.file_delete, name="file_delete"),
    path("<int:pk>/assign/", views.assignment_add, name="assignment_add"),
    path("assignments/<int:pk>/delete/", views.assignment_delete, name="assignment_delete"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/remind/", views.remind, name="remind"),
]
