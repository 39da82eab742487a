#!/bin/sh
# chain.sh N FILE: N nested shells, each waiting for the next; each appends its pid to
# FILE, and the innermost then appends "ready" and becomes `sleep 100`. Each raises its
# soft stack limit first: tests/tree_safety.rs gives pidone (and so its children) a tiny one.
ulimit -S -s 8192
echo $$ >> "$2"
if [ "$1" -gt 0 ]; then
    /bin/sh "$0" $(($1 - 1)) "$2"
else
    echo ready >> "$2"
    exec sleep 100
fi
