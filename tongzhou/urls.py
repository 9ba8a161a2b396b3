"""URL map. Every view carries an access rule (lib.access); a test enforces it."""

from django.urls import include, path
from django.views.i18n import set_language

from lib.access import Audience, access
from tongzhou.api import api

urlpatterns = [
    path("i18n/setlang/", access(Audience.PUBLIC)(set_language), name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("orgs/", include("orgs.urls")),
    path("roster/", include("workforce.urls")),
    path("emergencies/", include("emergencies.urls")),
    path("audit/", include("audit.urls")),
    path("notify/", include("notify.urls")),
    path("notices/", include("notices.urls")),
    path("desk/", include("notices.desk_urls")),
    path("health/", include("health.urls")),
    path("plans/", include("plans.urls")),
    path("training/", include("training.urls")),
    path("sitelogs/", include("sitelogs.urls")),
    path("resumption/", include("resumption.urls")),
    path("api/v1/", api.urls),
    # An employee's personal pages (no account: a signed link, workforce.links).
    path("me/<str:token>/", include("dashboards.personal_urls")),
    path("me/<str:token>/", include("health.personal_urls")),
    path("pass/", include("health.verify_urls")),  # a scanned clearance pass
    path("me/<str:token>/notices/", include("notices.personal_urls")),
    path("me/<str:token>/training/", include("training.personal_urls")),
    path("me/<str:token>/return/", include("resumption.personal_urls")),
    path("", include("dashboards.urls")),
    path("", include("public.urls")),
]

handler404 = "dashboards.views.not_found"
handler403 = "dashboards.views.forbidden"
handler500 = "dashboards.views.server_error"
