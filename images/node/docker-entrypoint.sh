#!/bin/sh
# Like the official node image: `docker run IMAGE -e '...'` or `IMAGE script.js` runs node;
# any other command runs as given.
set -e
if [ "${1#-}" != "$1" ] || { [ -n "$1" ] && [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
