"""Prevention plans (/plans/): the enterprise's plan, review, templates, roll-up."""

from django.urls import path

from plans import views

app_name = "plans"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("start/", views.start, name="start"),
    path("<int:pk>/section/<slug:name>/", views.section, name="section"),
    path("<int:pk>/items/<int:item>/", views.answer, name="answer"),
    path("<int:pk>/commitment/", views.commitment, name="commitment"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/packet/", views.packet, name="packet"),
    path("<int:pk>/site-schedules/", views.site_schedules, name="site_schedules"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("review/", views.queue, name="queue"),
    path("review/approve/", views.bulk_approve, name="bulk_approve"),
    path("review/<int:pk>/", views.review, name="review"),
    path("review/<int:pk>/comment/", views.comment, name="comment"),
    path("review/<int:pk>/decide/", views.decide, name="decide"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:pk>/", views.template_detail, name="template_detail"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/publish/", views.template_publish, name="template_publish"),
]
