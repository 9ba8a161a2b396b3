"""The employee's training pages under their personal link (/me/<token>/training/)."""

from django.urls import path

from training import personal_views

app_name = "my_training"
urlpatterns = [
    path("", personal_views.course_list, name="list"),
    path("<int:pk>/", personal_views.course_detail, name="course"),
    path("<int:pk>/quiz/", personal_views.quiz, name="quiz"),
    path("files/<int:pk>/", personal_views.file_download, name="file"),
]
