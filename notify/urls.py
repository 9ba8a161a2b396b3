from django.urls import path

from notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.inbox_open, name="inbox_open"),
    path("read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("robots/", views.robot_list, name="robot_list"),
    path("robots/add/", views.robot_create, name="robot_create"),
    path("robots/<int:pk>/", views.robot_edit, name="robot_edit"),
    path("robots/<int:pk>/toggle/", views.robot_toggle, name="robot_toggle"),
    path("robots/<int:pk>/test/", views.robot_test, name="robot_test"),
    path("robots/<int:pk>/delete/", views.robot_delete, name="robot_delete"),
    path("log/", views.delivery_list, name="delivery_list"),
    path("log/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
]
