#!/bin/sh
# Turns migrations/NNNN_name.sql files into C string literals, so that the
# binary carries its own schema.
echo '/* generated from migrations/ by scripts/embed-migrations.sh */'
echo '#include "db.h"'
echo 'const struct migration zl_migrations[] = {'
for f in "$@"; do
	base=$(basename "$f" .sql)
	num=$(echo "$base" | sed 's/_.*//; s/^0*//')
	printf '\t{ %s, "%s",\n' "$num" "$base"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t  "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '};'
echo "const size_t zl_nmigrations = $#;"
