#!/bin/bash
set -e
echo "entrypoint: starting app"
exec "$@"
