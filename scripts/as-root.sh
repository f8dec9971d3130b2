#!/usr/bin/env bash
# Runs a command as root, keeping the environment and PATH: directly when already root
# (a CI container, this machine), else through sudo (GitHub's hosted runners). The
# harness brings up engines as root, and Podman's rootful socket belongs to root.
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then exec "$@"; fi
exec sudo -E env "PATH=$PATH" "$@"
