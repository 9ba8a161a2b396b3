from django.urls import path

from workforce import link_views, views

app_name = "workforce"
urlpatterns = [
    path("", views.employee_list, name="employee_list"),
    path("new/", views.employee_create, name="employee_create"),
    path("<int:pk>/", views.employee_detail, name="employee_detail"),
    path("<int:pk>/edit/", views.employee_edit, name="employee_edit"),
    path("<int:pk>/delete/", views.employee_delete, name="employee_delete"),
    path("<int:pk>/reveal/", views.employee_reveal, name="employee_reveal"),
    path("import/", views.roster_import, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_status, name="import_status"),
    path("export/", views.roster_export, name="export"),
    path("regions/", views.regions, name="regions"),
    # Personal check-in links (workforce.links): print, show, re-issue, send.
    path("links/", link_views.link_list, name="links"),
    path("links/sheet/", link_views.link_sheet, name="link_sheet"),
    path("links/send/", link_views.link_send, name="link_send"),
    path("<int:pk>/link/", link_views.link_detail, name="link_detail"),
    path("<int:pk>/link/reissue/", link_views.link_reissue, name="link_reissue"),
]
