#!/usr/bin/env bash
# Restore the newest tongzhou dump into a scratch database and check its row counts.
# Run weekly by deploy/systemd/tongzhou-restore-test.timer; see docs/deploy.md "Backups".
# A backup counts only once a restore of it has worked (reliability-security.md DI-11).
#
# Target server: libpq's variables (PGHOST, PGPORT, PGUSER; password from ~/.pgpass or peer
# authentication). The role needs CREATEDB. Best a separate, isolated server; on the
# production server it costs I/O and disk for the duration of the test.
#
#   BACKUP_DIR        where pg_backup.sh writes (default /var/backups/tongzhou)
#   RESTORE_DB        scratch database, dropped and re-created (default tongzhou_restore_test;
#                     the name must contain "restore" so a typo cannot aim at production)
#   RESTORE_KEEP      1 keeps the scratch database for inspection (default: dropped at the end)
#   RESTORE_MIN_ROWS  "table:minimum ..." each table must reach (default: the migration record
#                     and the reference data that migrations load)
#   RESTORE_JOBS      parallel pg_restore jobs (default 2)
#
# .dump.gpg files are decrypted with gpg, which must hold the matching secret key.
# Prints every table's row count, the dump's age (data-loss window if this were a disaster)
# and the restore time; exits non-zero when the restore or a check fails.
set -euo pipefail
umask 077

fail() {
    echo "restore_test: $*" >&2
    exit 1
}

dir=${BACKUP_DIR:-/var/backups/tongzhou}
db=${RESTORE_DB:-tongzhou_restore_test}
keep=${RESTORE_KEEP:-0}
min_rows=${RESTORE_MIN_ROWS:-django_migrations:1 orgs_sector:1 orgs_division:1}
jobs=${RESTORE_JOBS:-2}

[[ $db == *restore* ]] || fail "RESTORE_DB must contain 'restore', got '$db'"
[[ $db =~ ^[a-z_][a-z0-9_]*$ ]] || fail "RESTORE_DB must be a plain lower-case name, got '$db'"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || fail "RESTORE_JOBS must be a positive number"

# Names carry a UTC timestamp, so the last in sort order is the newest.
newest=$(find "$dir" -maxdepth 1 -type f \( -name 'tongzhou-*.dump' -o -name 'tongzhou-*.dump.gpg' \) |
    sort | tail -n 1)
[[ -n $newest ]] || fail "no dump in $dir"
age_min=$((($(date +%s) - $(stat -c %Y -- "$newest")) / 60))
echo "restore_test: restoring $newest (written $age_min min ago) into $db"

work=$(mktemp -d)
cleanup() {
    rm -rf -- "$work"
    if [[ $keep != 1 ]]; then
        dropdb --if-exists --no-password -- "$db" || true
    fi
}
trap cleanup EXIT

dump=$newest
if [[ $newest == *.gpg ]]; then
    gpg --batch --quiet --output "$work/restore.dump" --decrypt "$newest"
    dump="$work/restore.dump"
fi

started=$SECONDS
dropdb --if-exists --no-password -- "$db"
createdb --no-password --template=template0 --encoding=UTF8 -- "$db"
# Owners and grants belong to the production roles, which the scratch server may not have.
pg_restore --exit-on-error --no-owner --no-privileges --no-password --jobs="$jobs" \
    --dbname="$db" "$dump"
restore_s=$((SECONDS - started))

# Every table whose data is in the dump must be in the restored database.
pg_restore --list "$dump" | awk '$4 == "TABLE" && $5 == "DATA" { print $6 "." $7 }' |
    sort >"$work/expected"
psql --no-password --quiet --no-align --tuples-only --field-separator=' ' --dbname="$db" \
    --set=ON_ERROR_STOP=1 >"$work/counts" <<'SQL'
SELECT t.table_schema || '.' || t.table_name,
       (xpath('/row/c/text()',
              query_to_xml(format('SELECT count(*) AS c FROM %I.%I', t.table_schema, t.table_name),
                           false, true, '')))[1]::text::bigint
FROM information_schema.tables AS t
WHERE t.table_type = 'BASE TABLE'
  AND t.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1;
SQL
cut -d' ' -f1 "$work/counts" | sort >"$work/restored"
missing=$(comm -23 "$work/expected" "$work/restored")
[[ -z $missing ]] || fail "tables in the dump but not restored: $missing"

echo "restore_test: rows per table"
sed 's/^/  /' "$work/counts"

problems=0
for spec in $min_rows; do
    table=${spec%%:*}
    minimum=${spec##*:}
    [[ $minimum =~ ^[0-9]+$ ]] || fail "bad RESTORE_MIN_ROWS entry '$spec'"
    [[ $table == *.* ]] || table="public.$table"
    count=$(awk -v t="$table" '$1 == t { print $2 }' "$work/counts")
    if [[ -z $count ]]; then
        echo "restore_test: table $table is missing" >&2
        problems=$((problems + 1))
    elif ((count < minimum)); then
        echo "restore_test: $table has $count rows, expected at least $minimum" >&2
        problems=$((problems + 1))
    fi
done
((problems == 0)) || fail "$problems row-count check(s) failed"

tables=$(wc -l <"$work/counts")
rows=$(awk '{ s += $2 } END { print s + 0 }' "$work/counts")
echo "restore_test: OK: $tables tables, $rows rows restored in $restore_s s; dump age $age_min min"
