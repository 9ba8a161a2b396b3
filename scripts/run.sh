#!/bin/sh
# Start the background worker and the web server together; Ctrl-C stops both.
set -eu
: "${BIN:=.venv/bin}" "${HOST:=127.0.0.1}" "${PORT:=8000}"
"$BIN/python" manage.py db_worker --no-reload --interval 1 >var/worker.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
echo
echo "  tongzhou is running at http://$HOST:$PORT/  (worker log: var/worker.log)"
echo
"$BIN/python" manage.py demo_logins
echo
"$BIN/python" manage.py runserver --noreload "$HOST:$PORT"
