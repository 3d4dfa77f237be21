# shellcheck shell=bash
# A private network namespace for media tests (JANUS-NOTES §2): Janus and
# libnice never gather ICE candidates on loopback interfaces, so inside the
# namespace a veth pair carries 127.0.0.2/32 on a non-loopback interface.
# Every address stays in 127.0.0.0/8; nothing is routed off the machine.
#
#   netns_create            -> sets NETNS (telemed-<pid>), NETNS_IF (tm-veth0)
#   netns_exec CMD...       -> runs CMD inside it
#   netns_kill_leftovers    -> SIGTERM/SIGKILL every process still inside
#   netns_delete            -> removes it (call from an EXIT trap)

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NETNS=""
NETNS_IF="tm-veth0"
NETNS_PEER_IF="tm-veth1"
NETNS_ADDR="127.0.0.2"

netns_create() {
    need_cmd ip
    (( EUID == 0 )) || die "netns: creating a network namespace needs root"
    NETNS="telemed-$$"
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$NETNS"; then
        ip netns delete "$NETNS" 2>/dev/null || true
    fi
    ip netns add "$NETNS" || die "netns: 'ip netns add $NETNS' failed"
    {
        ip -n "$NETNS" link set lo up &&
        ip -n "$NETNS" link add "$NETNS_IF" type veth peer name "$NETNS_PEER_IF" &&
        ip -n "$NETNS" addr add "$NETNS_ADDR/32" dev "$NETNS_IF" &&
        ip -n "$NETNS" link set "$NETNS_IF" up &&
        ip -n "$NETNS" link set "$NETNS_PEER_IF" up
    } || { netns_delete; die "netns: could not set up lo and the veth pair in $NETNS"; }
    # The veth needs a moment to get carrier.
    wait_until 5 _netns_if_up || warn "netns: $NETNS_IF has no carrier yet"
    log "netns: $NETNS ready (lo up, $NETNS_IF $NETNS_ADDR/32)"
}

_netns_if_up() {
    ip -n "$NETNS" -o link show "$NETNS_IF" 2>/dev/null | grep -q 'LOWER_UP'
}

netns_exec() {
    ip netns exec "$NETNS" "$@"
}

# netns_enter CMD…: like netns_exec, but switches only the network namespace.
# `ip netns exec` also gives the command a private mount namespace with a
# fresh /sys, which hides the cgroup mounts: runc (podman) cannot start a
# container there ("no cgroup mount found"). Containers started with host
# networking from inside netns_enter share the namespace's lo and veth.
netns_enter() {
    nsenter --net="/run/netns/$NETNS" "$@"
}

# Processes still inside the namespace are ours (we put them there): stop
# them by PID so the namespace can go away.
netns_kill_leftovers() {
    [[ -n "$NETNS" ]] || return 0
    local pids pid
    pids=$(ip netns pids "$NETNS" 2>/dev/null | tr '\n' ' ')
    [[ -n "${pids// /}" ]] || return 0
    warn "netns: processes left in $NETNS: $pids — sending SIGTERM"
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    _netns_empty() {
        local p
        for p in $(ip netns pids "$NETNS" 2>/dev/null); do pid_alive "$p" && return 1; done
        return 0
    }
    if ! wait_until 5 _netns_empty; then
        pids=$(ip netns pids "$NETNS" 2>/dev/null | tr '\n' ' ')
        warn "netns: sending SIGKILL to $pids"
        for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
}

netns_delete() {
    [[ -n "$NETNS" ]] || return 0
    netns_kill_leftovers
    ip netns delete "$NETNS" 2>/dev/null || true
    NETNS=""
}
