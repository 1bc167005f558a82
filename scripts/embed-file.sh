#!/bin/sh
# embed-file.sh SYMBOL FILE: prints a C file defining `const char SYMBOL[]`
# holding FILE's text.
echo "/* generated from $2 by scripts/embed-file.sh */"
echo "const char $1[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$2"
echo ';'
