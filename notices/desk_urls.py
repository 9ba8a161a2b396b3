"""The desk (/desk/): received notices and the progress of sent ones."""

from django.urls import path

from notices import desk_views

app_name = "desk"
urlpatterns = [
    path("", desk_views.inbox, name="inbox"),
    path("receipts/<int:pk>/", desk_views.receipt, name="receipt"),
    path("receipts/<int:pk>/acknowledge/", desk_views.acknowledge, name="acknowledge"),
    path("receipts/<int:pk>/attest/", desk_views.attest, name="attest"),
    path("receipts/<int:pk>/relay/", desk_views.relay, name="relay"),
    path("evidence/<int:pk>/", desk_views.evidence, name="evidence"),
    path("files/<int:pk>/", desk_views.attachment, name="attachment"),
    path("sent/<int:pk>/", desk_views.progress, name="progress"),
    path("sent/<int:pk>/remind/", desk_views.remind, name="remind"),
    path("sent/<int:pk>/non-responders.csv", desk_views.progress_export, name="progress_export"),
]
