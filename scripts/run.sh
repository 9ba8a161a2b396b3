#!/bin/sh
# Start the background worker and the web server together; Ctrl-C stops both.
set -eu
: "${BIN:=.venv/bin}" "${HOST:=127.0.0.1}" "${PORT:=8000}"
"$BIN/python" manage.py db_worker --no-reload --interval 1 >var/worker.log 2>&1 &
WORKER=$!
# Periodic jobs (scheduled notices, overdue flags, reminders) once a minute, as the
# systemd timer does in production.
( while sleep 60; do "$BIN/python" manage.py tick >>var/tick.log 2>&1 || true; done ) &
TICK=$!
trap 'kill $WORKER $TICK 2>/dev/null || true' EXIT INT TERM
echo
echo "  tongzhou is running at http://$HOST:$PORT/  (worker log: var/worker.log)"
echo
"$BIN/python" manage.py demo_logins
echo
"$BIN/python" manage.py runserver --noreload "$HOST:$PORT"
