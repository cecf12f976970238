# Sourced by the benches/run_*.sh scripts: starts examples/bench_server.rs (release) and
# stops it when the script exits.
#
#   start_server BINARY PORT SECONDS LOG [EXTRA ARGUMENTS...]
#
# returns once the server accepts connections on PORT, or exits the script with the
# server's log on stderr. `stop_server` may also be called early.

SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT

start_server() {
    local binary="$1" port="$2" seconds="$3" log="$4"
    shift 4
    "$binary" --port "$port" --seconds "$seconds" "$@" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$log" >&2
            echo "the server did not start" >&2
            exit 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "the server is not accepting connections on port $port" >&2
    exit 1
}
