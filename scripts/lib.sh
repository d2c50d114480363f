# Shell helpers shared by the test and benchmark scripts. Source it; it runs nothing.
#
#   apt_install PKG...           Debian packages, non-interactive (apt-get update once per script;
#                                sudo -n when not root)
#   emulator_start BIN [ARG...]  starts the emulator binary on a free loopback port with ARGs,
#                                output in $work (which the caller creates); sets emu_pid and
#                                base_url; fails with its stderr when it prints no URL in 30 s
#   emulator_stop                stops it (idempotent; call it from the caller's EXIT trap)

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if [ "$apt_updated" -eq 0 ]; then
    $sudo apt-get update -qq </dev/null
    apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null
}

emu_pid=""
base_url=""
emulator_stop() {
  if [ -n "$emu_pid" ]; then
    kill "$emu_pid" 2>/dev/null || true
    wait "$emu_pid" 2>/dev/null || true
    emu_pid=""
  fi
}

emulator_start() {
  local bin=$1
  shift
  emulator_stop
  # Emptied here, not by the background job's redirection (which may come too late): the URL
  # read below must be the new emulator's.
  : >"$work/emu.out"
  "$bin" --port 0 "$@" >"$work/emu.out" 2>>"$work/emu.err" </dev/null &
  emu_pid=$!
  base_url=""
  for _ in $(seq 1 300); do # at most 30 s
    base_url=$(head -n 1 "$work/emu.out" 2>/dev/null || true)
    case "$base_url" in http://127.0.0.1:*) return 0 ;; esac
    kill -0 "$emu_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "error: the emulator ($bin) did not start" >&2
  cat "$work/emu.err" >&2 2>/dev/null || true
  return 1
}
