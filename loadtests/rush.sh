#!/usr/bin/env bash
# Issue 18's opening-morning rush in one command, on a throwaway database:
#   bash loadtests/rush.sh                                   # embedded SQLite
#   RUSH_DATABASE_URL=postgresql+psycopg://…/rush bash loadtests/rush.sh   # an EMPTY PostgreSQL database
# 1,000 people arrive over 60 s for 20 places and browse for 180 s (loadtests/appointments_storm.py); the gateway
# runs as `shebao serve` does (SHEBAO_WORKERS gthread workers), rate limits off because every simulated person
# comes from 127.0.0.1. Locust lives in a venv of its own (.venv/loadtools), so the product's lock is untouched.
# Prints locust's summary and the bookings; the CSV files stay in the printed directory.
set -euo pipefail
cd "$(dirname "$0")/.."
people="${RUSH_PEOPLE:-1000}" capacity="${RUSH_CAPACITY:-20}" seconds="${RUSH_SECONDS:-180}"
work="$(mktemp -d)"
export SHEBAO_VAR_DIR="$work/var" SHEBAO_PORT="${SHEBAO_PORT:-8555}" SHEBAO_WORKERS="${SHEBAO_WORKERS:-4}"
export SHEBAO_RATE_LIMITS=0 SHEBAO_WORKER=0 SHEBAO_SANDBOXES=0
if [ -n "${RUSH_DATABASE_URL:-}" ]; then export SHEBAO_DATABASE_URL="$RUSH_DATABASE_URL"; fi
test -x .venv/loadtools/bin/locust || {
  python3 -m venv .venv/loadtools && .venv/loadtools/bin/python -m pip install --quiet 'locust==2.47.0'
}
.venv/bin/shebao db upgrade >/dev/null
.venv/bin/shebao demo-data --if-empty >/dev/null
.venv/bin/python loadtests/storm_setup.py --people "$people" --capacity "$capacity" --out "$work/storm.json"
# Statistics for the rows just loaded in bulk, as an operator runs ANALYZE after a load (PostgreSQL's autovacuum
# would otherwise gather them during the run, on the same cores).
if [ -n "${RUSH_DATABASE_URL:-}" ]; then
  .venv/bin/python -c 'import os, sqlalchemy as sa
with sa.create_engine(os.environ["SHEBAO_DATABASE_URL"], isolation_level="AUTOCOMMIT").connect() as c:
    c.execute(sa.text("ANALYZE"))'
fi
${RUSH_NICE:+nice -n "$RUSH_NICE"} .venv/bin/shebao serve > "$work/serve.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null; wait "$gateway" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$SHEBAO_PORT/readyz" >/dev/null && break
  sleep 0.3
done
# The gateway's own CPU time (its gunicorn processes, after they have started), which the machine's other
# load does not inflate much: CPU seconds per request is the figure to compare between runs.
gateway_cpu() {
  local ticks=0
  for pid in $(pgrep -f "gunicorn.*127.0.0.1:$SHEBAO_PORT"); do
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$ticks"
}
# The rush starts on a gateway that has finished starting: /readyz answers as soon as one worker is up, while
# the others may still be importing and warming (gateway/warmup.py); wait until their CPU use falls quiet.
for _ in $(seq 60); do
  before="$(gateway_cpu)"; sleep 1
  [ $(( $(gateway_cpu) - before )) -lt "$(( $(getconf CLK_TCK) / 10 ))" ] && break
done
cpu_before="$(gateway_cpu)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The machine's own speed during the run (a shared VM's cores vary by a third from minute to minute).
python3 loadtests/machine_speed.py "$work/speed.csv" &
probe=$!
trap 'kill "$gateway" "$probe" 2>/dev/null; wait "$gateway" 2>/dev/null || true' EXIT
status=0
STORM_SETUP="$work/storm.json" STORM_TIMES="$work/times.csv" .venv/loadtools/bin/locust -f loadtests/appointments_storm.py --headless \
  -u "$people" -r "$(python3 -c "print(round($people / 60, 1))")" -t "${seconds}s" \
  --host "http://127.0.0.1:$SHEBAO_PORT" --csv "$work/rush" --only-summary || status=$?
awk -v t="$(( $(gateway_cpu) - cpu_before ))" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { printf "gateway CPU during the run: %.1f s\n", t / hz }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); CSV in $work"
kill "$probe" 2>/dev/null || true
python3 loadtests/rush_windows.py "$work/times.csv" "$work/speed.csv" || true
exit $status
