# MariaDB from Debian's packages, for rehearsals on machines that reach no image registry.
# Built by `migration-studio images build`; honours the official image's
# MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER and MARIADB_PASSWORD.
# SUITE: the Debian release whose packages are installed (bookworm: PostgreSQL 15, MariaDB
# 10.11; trixie: PostgreSQL 17, MariaDB 11.8).
ARG SUITE=bookworm
FROM localhost/migration-studio-debian:${SUITE}
ENV DEBIAN_FRONTEND=noninteractive
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && apt-get install -y --no-install-recommends mariadb-server \
 && rm -rf /var/lib/apt/lists/* /var/lib/mysql/*
COPY mariadb-entrypoint.sh /usr/local/bin/migration-studio-entrypoint
RUN chmod 755 /usr/local/bin/migration-studio-entrypoint
EXPOSE 3306
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/migration-studio-entrypoint"]
