#!/bin/sh
# Initialises PGDATA on first start (as the official image does), then runs the server as
# the postgres user. Extra arguments go to the server (e.g. `-c fsync=off`).
set -eu
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_PASSWORD:=}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    auth=trust
    pwfile=/var/run/postgresql/.pwfile
    if [ -n "$POSTGRES_PASSWORD" ]; then
        auth=scram-sha-256
        printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
        chown postgres "$pwfile"
        chmod 600 "$pwfile"
        set -- --pwfile="$pwfile"
    else
        set --
    fi
    as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host="$auth" "$@" > /dev/null
    rm -f "$pwfile"
    set --
    printf 'host all all 0.0.0.0/0 %s\nhost all all ::/0 %s\n' "$auth" "$auth" >> "$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        echo "CREATE DATABASE \"$POSTGRES_DB\"" | as_postgres postgres --single -D "$PGDATA" postgres > /dev/null
    fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
    postgres -D "$PGDATA" -c listen_addresses='*' "$@"
