#!/bin/bash
python3 /app/app.py "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM
trap 'kill -INT "$child" 2>/dev/null' INT
# wait returns early (status > 128) when a trapped signal arrives: wait again for the
# child's own status.
wait "$child"
status=$?
if kill -0 "$child" 2>/dev/null; then
  wait "$child"
  status=$?
fi
exit "$status"
