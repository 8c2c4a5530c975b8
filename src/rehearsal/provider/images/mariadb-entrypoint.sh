#!/bin/sh
# Initialises the data directory on first start (as the official image does), then runs the
# server as the mysql user. Extra arguments go to the server.
set -eu
: "${MARIADB_ROOT_PASSWORD:=}"
: "${MARIADB_DATABASE:=}"
: "${MARIADB_USER:=}"
: "${MARIADB_PASSWORD:=}"
# A value inside a single-quoted SQL string: backslashes and quotes doubled.
sql_string() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
mkdir -p /var/lib/mysql /run/mysqld
chown -R mysql:mysql /var/lib/mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db \
        --auth-root-authentication-method=normal > /dev/null
    init=/run/mysqld/init.sql
    pw=$(sql_string "$MARIADB_ROOT_PASSWORD")
    # --init-file takes one statement per line.
    {
        echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$pw';"
        echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';"
        if [ -n "$MARIADB_DATABASE" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
        fi
        if [ -n "$MARIADB_USER" ]; then
            echo "CREATE USER IF NOT EXISTS '$(sql_string "$MARIADB_USER")'@'%' IDENTIFIED BY '$(sql_string "$MARIADB_PASSWORD")';"
            if [ -n "$MARIADB_DATABASE" ]; then
                echo "GRANT ALL ON \`$MARIADB_DATABASE\`.* TO '$(sql_string "$MARIADB_USER")'@'%';"
            fi
        fi
    } > "$init"
    chown mysql:mysql "$init"
    chmod 600 "$init"
    set -- --init-file="$init" "$@"
fi
exec setpriv --reuid=mysql --regid=mysql --init-groups \
    mariadbd --datadir=/var/lib/mysql --bind-address=0.0.0.0 --skip-name-resolve "$@"
