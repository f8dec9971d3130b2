#!/bin/bash
# Typical setup step, then the program, without exec.
echo "entrypoint: starting app"
python3 /app/app.py "$@"
echo "entrypoint: app exited with $?"
