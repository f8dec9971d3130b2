#!/usr/bin/env bash
# The certify step of action.yml: the action's inputs (as environment variables) turned
# into `harness certify` options, the gate run, its verdict, exit code, report folder
# and SARIF file written as step outputs and its Markdown report appended to the job
# summary. Env values go to the harness in a private env file, never on a command line,
# and are masked in the workflow log. Exits with the gate's code.
set -uo pipefail

out="${RUNNER_TEMP:-/tmp}/certify-report"
work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/certify-input.XXXXXX")"
trap 'rm -rf "$work"' EXIT
args=(certify "$IMAGE" --out "$out" --format "${FORMATS:-json,html,md,junit,sarif}")
[ -n "${POLICY:-}" ] && args+=(--policy "$POLICY")
[ -n "${GRACE:-}" ] && args+=(--grace "$GRACE")
[ -n "${CMD:-}" ] && args+=(--cmd "$CMD")
[ -n "${ENTRYPOINT:-}" ] && args+=(--entrypoint "$ENTRYPOINT")
[ -n "${RUN_AS:-}" ] && args+=(--user "$RUN_AS")
[ -n "${READY_LOG:-}" ] && args+=(--ready-log "$READY_LOG")
[ -n "${READY_PORT:-}" ] && args+=(--ready-port "$READY_PORT")
[ -n "${DOCKERFILE:-}" ] && args+=(--dockerfile "$DOCKERFILE")
[ "${VERIFY_FIX:-false}" = true ] && args+=(--verify-fix)

# The env file, then the env input's lines over it, in one private file.
if [ -n "${ENV_FILE:-}" ] || [ -n "${ENV_LINES:-}" ]; then
  envs="$work/image.env"
  (umask 077 && : > "$envs")
  if [ -n "${ENV_FILE:-}" ]; then
    if [ ! -r "$ENV_FILE" ]; then echo "certify: cannot read env-file $ENV_FILE" >&2; exit 2; fi
    cat "$ENV_FILE" >> "$envs"
    printf '\n' >> "$envs"
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [ -z "${line//[[:space:]]/}" ] && continue
    case "$line" in *=*) value="${line#*=}"; [ -n "$value" ] && echo "::add-mask::$value" ;; esac
    printf '%s\n' "$line" >> "$envs"
  done <<< "${ENV_LINES:-}"
  args+=(--env-file "$envs")
fi

code=0
"$HARNESS/scripts/as-root.sh" node "$HARNESS/bin/harness.mjs" "${args[@]}" || code=$?
case "$code" in 0) verdict=pass ;; 1) verdict=fail ;; *) verdict=cannot-certify ;; esac
{
  echo "verdict=$verdict"
  echo "exit-code=$code"
  echo "report=$out"
  if [ -f "$out/report.sarif" ]; then echo "sarif=$out/report.sarif"; fi
} >> "${GITHUB_OUTPUT:-/dev/null}"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/report.md" ]; then cat "$out/report.md" >> "$GITHUB_STEP_SUMMARY"; fi
exit "$code"
