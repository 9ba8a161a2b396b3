"""WSGI entry point of the ingest bench's floor: tongzhou's WSGI application with
ROOT_URLCONF pointing at bench/floor_urls.py (everything else as in production)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhou.settings")
application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.floor_urls"
