#!/bin/bash
# record.sh: the README's performance figures, each point run 3 times on a
# fresh hub. Needs bin/kefu (make build), and for cluster mode PostgreSQL on
# 127.0.0.1:5432 (trust) and NATS JetStream on 127.0.0.1:4222. Writes one
# JSON report per run into OUT (default ./perf-<date>) and prints the
# summary (e2e/bench/summary.py) at the end. Run it on an idle machine:
#
#	e2e/bench/record.sh [OUT] [POINT...]
#
# POINTs (default all): api visitors burst sockets app idle. Each cluster
# run gets its own database and bus prefix, deleted after it.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-perf-$(date -u +%Y%m%d-%H%M)}
shift || true
POINTS=${*:-api visitors burst sockets app idle}
KEFU=$PWD/bin/kefu
PORT=18080
PASS=benchpass123
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

log() { echo "$(date -u +%T) $*" | tee -a "$OUT/record.log"; }

# js_delete removes a JetStream stream over the NATS protocol (no client
# needed): the API answers to no one, and PING/PONG waits until it is read.
js_delete() {
	exec 3<>/dev/tcp/127.0.0.1/4222
	printf 'CONNECT {"verbose":false}\r\nPUB $JS.API.STREAM.DELETE.%s 0\r\n\r\nPING\r\n' "$1" >&3
	timeout 5 grep -q -m1 PONG <&3 || true
	exec 3<&-
}

HUB_PID= DIR= NAME=
# start MODE [ENV...]: a fresh hub (new data directory; cluster: a new
# database and bus prefix); sets START_MS to the ms from exec to ready.
start() {
	local mode=$1
	shift
	NAME=perf$(date +%s%N | tail -c 9)
	DIR=$(mktemp -d /tmp/kefu-perf.XXXXXX)
	local env=(KEFU_ALLOW_PRIVATE_CALLBACKS=true KEFU_ADMIN_PASSWORD=$PASS KEFU_HTTP_ADDR=127.0.0.1:$PORT KEFU_DATA_DIR=$DIR "$@")
	if [ "$mode" = cluster ]; then
		psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $NAME" >/dev/null
		env+=(KEFU_SECRET_KEY=$(printf '%064d' 7) "KEFU_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$NAME?sslmode=disable"
			KEFU_NATS_URL=nats://127.0.0.1:4222 KEFU_BUS_PREFIX=$NAME)
	fi
	relaunch "${env[@]}"
}

# relaunch ENV...: starts the hub on DIR (and NAME's database) again.
relaunch() {
	printf '%s\n' "$@" > "$DIR/env"
	local t0=$(date +%s%3N)
	(cd "$DIR" && exec env "$@" "$KEFU" serve >> "$DIR/hub.log" 2>&1) &
	HUB_PID=$!
	until curl -sf -o /dev/null http://127.0.0.1:$PORT/readyz; do
		kill -0 $HUB_PID 2>/dev/null || { tail -20 "$DIR/hub.log"; exit 1; }
		sleep 0.01
	done
	START_MS=$(( $(date +%s%3N) - t0 ))
}

halt() {
	kill $HUB_PID 2>/dev/null || true
	wait $HUB_PID 2>/dev/null || true
}

stop() {
	halt
	if [ -n "$NAME" ] && grep -q KEFU_DATABASE_URL "$DIR/env"; then
		psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" >/dev/null
		for s in inbound outbound poison; do js_delete "${NAME}_$s"; done
	fi
	rm -rf "$DIR"
}
trap 'halt; [ -n "$DIR" ] && rm -rf "$DIR"' EXIT

# run NAME MODE [ENV...] -- BENCH ARGS: one point, 3 runs.
run() {
	local name=$1 mode=$2
	shift 2
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	for i in 1 2 3; do
		start "$mode" "${env[@]}"
		sleep 1
		log "$name run $i ($mode): $* — load $(cut -d' ' -f1-3 /proc/loadavg)"
		"$KEFU" bench -url http://127.0.0.1:$PORT -password $PASS -email admin@kefu.local -json -quiet "$@" \
			> "$OUT/$name-$i.json" || log "$name run $i exited $?"
		stop
	done
}

log "commit $(git rev-parse --short HEAD), $(nproc) CPUs, $(free -g | awk '/Mem/{print $2}') GiB"
for p in $POINTS; do
	case $p in
	api)
		for mode in embedded cluster; do
			run $mode-max $mode -- -rate 0 -duration 15s
			run $mode-1000 $mode -- -rate 1000 -duration 15s
			run $mode-2000 $mode -- -rate 2000 -duration 15s
		done ;;
	visitors)
		for mode in embedded cluster; do
			run $mode-v50 $mode -- -visitors 50 -messages 5 -gap 100ms
			run $mode-v100 $mode -- -visitors 100 -messages 5 -gap 100ms
		done ;;
	burst)
		for mode in embedded cluster; do
			run $mode-v10k $mode -- -visitors 10000 -messages 2 -gap 100ms -ramp 1000
		done ;;
	sockets)
		run embedded-idle10k embedded -- -visitors 10000
		run embedded-idle15k embedded KEFU_VISITOR_SOCKETS_PER_CHANNEL=20000 -- -visitors 15000 ;;
	app)
		run embedded-app10k embedded -- -app-sockets 10000 -rate 1000 -duration 10s ;;
	idle)
		for mode in embedded cluster; do
			for i in 1 2 3; do
				start $mode
				cold=$START_MS
				sleep 5
				rss=$(awk '/VmRSS/{print $2}' /proc/$HUB_PID/status)
				halt
				mapfile -t env < "$DIR/env"
				relaunch "${env[@]}"
				warm=$START_MS
				echo "{\"mode\":\"$mode\",\"cold_start_ms\":$cold,\"idle_rss_kb\":$rss,\"restart_ms\":$warm}" > "$OUT/$mode-idle-$i.json"
				log "$mode idle run $i: start $cold ms, RSS $rss KB after 5 s, restart $warm ms"
				stop
			done
		done ;;
	esac
done
log "done"
python3 e2e/bench/summary.py "$OUT" | tee "$OUT/summary.txt"
