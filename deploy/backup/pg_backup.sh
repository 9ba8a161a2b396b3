#!/usr/bin/env bash
# Logical backup of the tongzhou database: one pg_dump in custom format, then rotation.
# Run nightly by deploy/systemd/tongzhou-backup.timer; see docs/deploy.md "Backups".
#
# This is the secondary copy. The primary is a base backup plus continuous WAL archiving
# (point-in-time recovery), configured in PostgreSQL itself.
#
# Connection: DATABASE_URL when it is set, otherwise libpq's own variables (PGHOST, PGPORT,
# PGUSER, PGDATABASE; the password from ~/.pgpass or peer authentication).
#
#   BACKUP_DIR            where dumps are written (default /var/backups/tongzhou), mode 0700
#   BACKUP_KEEP_DAYS      dumps older than this many days are deleted after a good dump
#                         (default 14); deleted personal data leaves the dumps this long
#                         after it leaves the database
#   BACKUP_GPG_RECIPIENT  when set, the dump is encrypted to this GnuPG public key and only
#                         the .dump.gpg file is kept
#
# Exit status is non-zero when anything fails; nothing old is deleted in that case.
set -euo pipefail
umask 077

fail() {
    echo "pg_backup: $*" >&2
    exit 1
}

dir=${BACKUP_DIR:-/var/backups/tongzhou}
keep=${BACKUP_KEEP_DAYS:-14}
recipient=${BACKUP_GPG_RECIPIENT:-}
[[ $keep =~ ^[1-9][0-9]*$ ]] || fail "BACKUP_KEEP_DAYS must be a whole number of days, at least 1"

mkdir -p -- "$dir"
chmod 700 -- "$dir"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dir/tongzhou-$stamp.dump"
partial="$dir/.tongzhou-$stamp.dump.partial"
trap 'rm -f -- "$partial" "$partial.gpg"' EXIT

connection=()
if [[ -n ${DATABASE_URL:-} ]]; then
    connection=(--dbname="$DATABASE_URL")
fi

started=$SECONDS
# pg_dump reads one consistent snapshot and turns off statement_timeout for its own session,
# so the application role's 15 s limit does not cut it short.
pg_dump --format=custom --compress=6 --no-password \
    ${connection[@]+"${connection[@]}"} --file="$partial"
# A dump whose table of contents cannot be read is no backup.
pg_restore --list "$partial" >/dev/null || fail "the new dump is unreadable: $partial"

if [[ -n $recipient ]]; then
    gpg --batch --yes --trust-model always --recipient "$recipient" \
        --output "$partial.gpg" --encrypt "$partial"
    rm -f -- "$partial"
    final="$final.gpg"
    mv -- "$partial.gpg" "$final"
else
    mv -- "$partial" "$final"
fi
sync -- "$final"

size=$(stat -c %s -- "$final")
echo "pg_backup: wrote $final ($size bytes) in $((SECONDS - started)) s"

# Rotation only after a good dump, and never the one just written.
find "$dir" -maxdepth 1 -type f \( -name 'tongzhou-*.dump' -o -name 'tongzhou-*.dump.gpg' \) \
    -mmin +$((keep * 1440)) ! -path "$final" -print -delete |
    sed 's/^/pg_backup: deleted /'
