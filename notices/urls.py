"""Publishing notices (/notices/)."""

from django.urls import path

from notices import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/", views.notice_create, name="create"),
    path("preview/", views.notice_preview, name="preview"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/edit/", views.notice_edit, name="edit"),
    path("<int:pk>/publish/", views.notice_publish, name="publish"),
    path("<int:pk>/unschedule/", views.notice_unschedule, name="unschedule"),
    path("<int:pk>/withdraw/", views.notice_withdraw, name="withdraw"),
    path("<int:pk>/revisions/", views.notice_revisions, name="revisions"),
    path("<int:pk>/files/", views.attachment_add, name="attachment_add"),
    path("files/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("files/<int:pk>/", views.attachment_download, name="attachment_download"),
]
