#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the sample projects (and, for compose and Backstage, which no
# sample project has, from tests/datasets or ../shared/datasets when present). SQL scripts are
# cut at line ends into pieces of at most 2 KB (small inputs run fast), each prefixed with the byte that picks its
# engine (0 MySQL, 1 PostgreSQL, 2 SQLite); service files get 0 (format given) and 1 (detected).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
corpus="$here/corpus"
samples="$repo/sample-projects"
datasets=""
for d in "$repo/tests/datasets" "$repo/../shared/datasets"; do
    if [ -d "$d" ]; then datasets="$d"; break; fi
done
mkdir -p "$corpus"/{ddl_split,ddl_import,services_csv,services_compose,services_kubernetes,services_backstage,manifest}

sql() { # engine-byte file
    local tmp; tmp="$(mktemp -d)"
    split -C 2000 -d -a 4 "$2" "$tmp/piece-"
    for piece in "$tmp"/piece-*; do
        local name; name="$(basename "$2" .sql)-$(basename "$piece")"
        for target in ddl_split ddl_import; do
            { printf '%s' "$1"; cat "$piece"; } > "$corpus/$target/$name"
        done
    done
    rm -rf "$tmp"
}
sql 0 "$samples/sakila-mysql-to-postgres/data/sakila-mv-schema.sql"
sql 0 "$samples/sakila-mysql-to-postgres/data/sakila-mv-data.sql"
sql 1 "$samples/pagila-postgres-upgrade/data/pagila-schema.sql"
sql 1 "$samples/pagila-postgres-upgrade/data/pagila-data.sql"
sql 2 "$samples/chinook-sqlite-to-postgres/data/Chinook_Sqlite.sql"

service() { # target file
    local name; name="$(basename "$2")"
    for byte in 0 1; do
        { printf '%s' "$byte"; cat "$2"; } > "$corpus/$1/$byte-$name"
    done
}
for f in "$samples"/sock-shop-services/data/*.csv; do service services_csv "$f"; done
for f in "$samples"/sock-shop-services/services/manifests*/*.y*ml; do service services_kubernetes "$f"; done
if [ -n "$datasets" ]; then
    while IFS= read -r f; do service services_compose "$f"; done \
        < <(find "$datasets" -size -64k \( -name 'docker-compose*.y*ml' -o -name 'compose*.y*ml' \) | head -50)
    while IFS= read -r f; do service services_backstage "$f"; done \
        < <(grep -rl --include='*.y*ml' 'backstage.io/' "$datasets" 2>/dev/null | head -100)
fi
# Each format's reader also sees the others' files: detection must refuse them cleanly.
cp -n "$corpus"/services_kubernetes/1-* "$corpus/services_compose/" 2>/dev/null || true
cp -n "$corpus"/services_compose/1-* "$corpus/services_backstage/" 2>/dev/null || true
for f in "$samples"/*/migration-studio.toml; do
    cp "$f" "$corpus/manifest/$(basename "$(dirname "$f")").toml"
done
for target in "$corpus"/*; do
    echo "$(basename "$target"): $(find "$target" -type f | wc -l) seeds"
done
