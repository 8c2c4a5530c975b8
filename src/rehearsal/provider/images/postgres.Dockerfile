# PostgreSQL from Debian's packages, for rehearsals on machines that reach no image registry.
# Built by `migration-studio images build`; honours the official image's POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB.
# SUITE: the Debian release whose packages are installed (bookworm: PostgreSQL 15, MariaDB
# 10.11; trixie: PostgreSQL 17, MariaDB 11.8).
ARG SUITE=bookworm
FROM localhost/migration-studio-debian:${SUITE}
ARG PG_MAJOR=15
ENV DEBIAN_FRONTEND=noninteractive PG_MAJOR=${PG_MAJOR} PGDATA=/var/lib/postgresql/data
# The package would create and start a cluster of its own; the entrypoint makes the one used.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-${PG_MAJOR} \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH
COPY postgres-entrypoint.sh /usr/local/bin/migration-studio-entrypoint
RUN chmod 755 /usr/local/bin/migration-studio-entrypoint
EXPOSE 5432
# SIGINT is PostgreSQL's fast shutdown: removal takes well under a second.
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/migration-studio-entrypoint"]
