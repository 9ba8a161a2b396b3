"""An employee's notices under their personal link (/me/<token>/notices/)."""

from django.urls import path

from notices import personal_views

app_name = "mynotices"
urlpatterns = [
    path("", personal_views.notice_list, name="list"),
    path("<int:pk>/", personal_views.notice_detail, name="detail"),
    path("files/<int:pk>/", personal_views.attachment, name="attachment"),
]
