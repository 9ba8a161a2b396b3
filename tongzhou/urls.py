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
    path("api/v1/", api.urls),
    path("", include("dashboards.urls")),
]

handler404 = "dashboards.views.not_found"
handler403 = "dashboards.views.forbidden"
handler500 = "dashboards.views.server_error"
