"""URLs of organisation pages; each view declares its access rule (lib.access)."""

from django.urls import path

from orgs import views

app_name = "orgs"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("streets/", views.streets, name="streets"),
    path("memberships/", views.my_memberships, name="my_memberships"),
    path("memberships/apply/", views.membership_apply, name="membership_apply"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.membership_detail, name="membership_detail"),
    path("members/<int:pk>/decide/", views.membership_decide, name="membership_decide"),
    path("members/import/", views.member_import, name="member_import"),
    path(
        "members/import/template.xlsx", views.member_import_template, name="member_import_template"
    ),
    path("associations/", views.association_list, name="association_list"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprise/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:pk>/delete/", views.site_delete, name="site_delete"),
]
