#!/usr/bin/env bash
# make run: start the demo's CalDAV server (Xandikos multi-user), SMTP sink (aiosmtpd, mails into
# var/maildir) and the invitation worker in the background, then run the given command (gunicorn)
# in the foreground; everything started here is stopped when it exits.
# A real CalDAV/SMTP server is used instead when CALDAV_URL / SMTP_HOST are set in the environment.
# Idempotent: a service already listening on its port (e.g. left from another run) is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
VAR=${VAR:-var}
DEMO_CALDAV_PORT=${DEMO_CALDAV_PORT:-8010}
DEMO_SMTP_PORT=${DEMO_SMTP_PORT:-8025}
# The web server's address (make run passes HOST/PORT); config.py builds PUBLIC_BASE_URL from
# them unless it is set, so the worker's mails and invitations link to the port really used.
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}"
mkdir -p "$VAR/log" "$VAR/maildir/tmp" "$VAR/maildir/new" "$VAR/maildir/cur" "$VAR/xandikos"
PIDS=()

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do listening "$1" && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${CALDAV_URL:-}" ]]; then
  if ! listening "$DEMO_CALDAV_PORT"; then
    "$BIN/xandikos" multi-user -d "$VAR/xandikos/data" --defaults -l 127.0.0.1 -p "$DEMO_CALDAV_PORT" \
      --no-detect-systemd --state-dir "$VAR/xandikos/state" --trust-x-remote-user-from 127.0.0.1 \
      >>"$VAR/log/xandikos.log" 2>&1 &
    PIDS+=($!)
    wait_port "$DEMO_CALDAV_PORT"
  fi
  export CALDAV_URL="http://127.0.0.1:$DEMO_CALDAV_PORT/" CALDAV_USERNAME=forum CALDAV_REMOTE_USER_HEADER=true
  # Principals with their calendar-user addresses: the organizer and every representative, so
  # invitations land in the representatives' calendars on this server (demo only).
  "$BIN/python" scripts/demo_caldav_users.py "$CALDAV_URL"
  echo "  CalDAV (Xandikos, demo): $CALDAV_URL  (user = header X-Remote-User, e.g. anna.lind)"
fi

if [[ -z "${SMTP_HOST:-}" ]]; then
  if ! listening "$DEMO_SMTP_PORT"; then
    "$BIN/python" -m aiosmtpd -n -l "127.0.0.1:$DEMO_SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$VAR/maildir" \
      >>"$VAR/log/smtp.log" 2>&1 &
    PIDS+=($!)
    wait_port "$DEMO_SMTP_PORT"
  fi
  export SMTP_HOST=127.0.0.1 SMTP_PORT="$DEMO_SMTP_PORT"
  echo "  SMTP sink (demo): 127.0.0.1:$DEMO_SMTP_PORT, mails in $VAR/maildir/new"
fi

"$BIN/flask" --app wsgi forum worker >>"$VAR/log/worker.log" 2>&1 &
PIDS+=($!)
echo "  Worker: log in $VAR/log/worker.log"

"$@"
