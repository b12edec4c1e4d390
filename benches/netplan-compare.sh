#!/usr/bin/env bash
# netloom and netplan side by side (issue 18): the same host, bonds of two NICs with 1,000
# VLANs each (the host of `common::vlan_host` in benches/common/mod.rs), written as interface
# XML for netloom's nm backend and as netplan YAML with `renderer: NetworkManager`, so both
# write NetworkManager keyfiles. In each round, interleaved, each into a fresh directory:
#
#   /usr/lib/netplan/generate --root-dir DIR           (DIR holds only etc/netplan/host.yaml)
#   netloom render --backend nm --out DIR host.xml     (DIR empty)
#   netloom apply --backend nm --root DIR --yes host.xml   (DIR empty: a fresh root)
#
# then prints the medians, netloom's speed relative to netplan's (above 1: netloom is
# faster), and what each wrote (files, bytes), so the comparison stays fair.
#
# Usage: benches/netplan-compare.sh [ROUNDS]       (default 10)
#   SIZES="1000 10000"   the host sizes, in VLANs (the default)
#   NETLOOM=PATH         the netloom binary to time (default: `cargo build --release`'s)
#   TMPDIR=DIR           where the directories are made (the file system is what is timed)
#
# Standard output of every command goes to /dev/null (apply prints its whole diff there), and
# each run starts after a `sync`, so writeback a run leaves behind is not billed to the next.

set -euo pipefail

rounds=${1:-10}
sizes=${SIZES:-1000 10000}
generate=/usr/lib/netplan/generate

if [[ ! -x $generate ]]; then
    echo "netplan-compare: $generate is missing; it is netplan's generator, in the" \
        "Debian and Ubuntu package netplan.io: apt-get install netplan.io" >&2
    exit 2
fi
if [[ ! $rounds =~ ^[1-9][0-9]*$ ]]; then
    echo "netplan-compare: ROUNDS must be a positive number, not '$rounds'" >&2
    exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${NETLOOM:-} ]]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin netloom
    NETLOOM=$repo/target/release/netloom
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/netplan-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

# host VLANS: writes $work/host-VLANS.xml and $work/host-VLANS.yaml, the same host.
host() {
    awk -v vlans="$1" -v xml="$work/host-$1.xml" -v yaml="$work/host-$1.yaml" '
    function addr(i, a) {
        a = 167772160 + i * 16 + 1   # 10.0.0.0/8, one /28 per VLAN
        return int(a / 16777216) "." int(a / 65536) % 256 "." int(a / 256) % 256 "." a % 256
    }
    BEGIN {
        per = 1000
        bonds = int((vlans + per - 1) / per)
        print "<interfaces>" > xml
        print "network:\n  version: 2\n  renderer: NetworkManager\n  ethernets:" > yaml
        for (b = 0; b < bonds; b++)
            printf "    eth%d: {mtu: 9000}\n    eth%d: {mtu: 9000}\n", 2 * b, 2 * b + 1 > yaml
        print "  bonds:" > yaml
        for (b = 0; b < bonds; b++) {
            printf "  <interface type=\x27bond\x27 name=\x27bond%d\x27>\n    <start mode=\x27onboot\x27/>\n" \
                "    <mtu size=\x279000\x27/>\n    <bond mode=\x27802.3ad\x27>\n      <miimon freq=\x27100\x27/>\n" \
                "      <interface type=\x27ethernet\x27 name=\x27eth%d\x27/>\n" \
                "      <interface type=\x27ethernet\x27 name=\x27eth%d\x27/>\n    </bond>\n  </interface>\n",
                b, 2 * b, 2 * b + 1 > xml
            printf "    bond%d:\n      interfaces: [eth%d, eth%d]\n      mtu: 9000\n      parameters:\n" \
                "        mode: 802.3ad\n        mii-monitor-interval: 100\n", b, 2 * b, 2 * b + 1 > yaml
        }
        print "  vlans:" > yaml
        for (i = 0; i < vlans; i++) {
            b = int(i / per); tag = i % per + 1
            printf "  <interface type=\x27vlan\x27 name=\x27bond%d.%d\x27>\n    <start mode=\x27onboot\x27/>\n" \
                "    <protocol family=\x27ipv4\x27>\n      <ip address=\x27%s\x27 prefix=\x2728\x27/>\n" \
                "    </protocol>\n    <vlan tag=\x27%d\x27>\n      <interface name=\x27bond%d\x27/>\n" \
                "    </vlan>\n  </interface>\n", b, tag, addr(i), tag, b > xml
            printf "    bond%d.%d:\n      id: %d\n      link: bond%d\n      addresses: [%s/28]\n",
                b, tag, tag, b, addr(i) > yaml
        }
        print "</interfaces>" > xml
    }'
}

# fresh TOOL VLANS: an empty directory for TOOL's next run (netplan's holds its YAML).
fresh() {
    local dir
    dir=$(mktemp -d "$work/$1.XXXXXX")
    if [[ $1 == netplan ]]; then
        mkdir -p "$dir/etc/netplan"
        install -m 0600 "$work/host-$2.yaml" "$dir/etc/netplan/host.yaml"
    fi
    echo "$dir"
}

# timed TOOL DIR VLANS: runs TOOL once into DIR, appending its wall time (microseconds)
# to $work/TOOL-VLANS.us. Failing stops the script with the tool's own message.
timed() {
    local tool=$1 dir=$2 xml=$work/host-$3.xml t0 t1 rc=0
    sync
    t0=${EPOCHREALTIME/./}
    case $tool in
    netplan) "$generate" --root-dir "$dir" >/dev/null 2>"$work/err" || rc=$? ;;
    render) "$NETLOOM" render --backend nm --out "$dir" "$xml" >/dev/null 2>"$work/err" || rc=$? ;;
    apply) "$NETLOOM" apply --backend nm --root "$dir" --yes "$xml" >/dev/null 2>"$work/err" || rc=$? ;;
    esac
    t1=${EPOCHREALTIME/./}
    if ((rc != 0)); then
        echo "netplan-compare: $tool failed (exit $rc):" >&2
        cat "$work/err" >&2
        exit 1
    fi
    echo $((t1 - t0)) >>"$work/$tool-$3.us"
}

# files DIR [FIND-ARGS...]: "COUNT BYTES" of the regular files under DIR matching FIND-ARGS.
files() {
    local dir=$1
    shift
    find "$dir" -type f "$@" -printf '%s\n' | awk '{ n++; s += $1 } END { print n + 0, s + 0 }'
}

# median FILE: the median of the numbers in FILE, in milliseconds.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1000 }'
}

# spread FILE: the fastest and slowest run in FILE, in milliseconds.
spread() {
    sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f ms", lo / 1000, hi / 1000 }'
}

# describe TOOL DIR: what one run of TOOL wrote, for the table.
describe() {
    local keyfiles=(-name '*.nmconnection') n s kn ks
    case $1 in
    netplan)
        read -r n s < <(files "$2/run")
        read -r kn ks < <(files "$2/run" "${keyfiles[@]}")
        echo "$kn keyfiles, $ks bytes; and $((n - kn)) other files, $((s - ks)) bytes:" \
            "$(cd "$2/run" && find . -type f ! -name '*.nmconnection' | sed 's|^\./||; s|-netplan-[^/]*\.link$|-netplan-*.link|' | sort | uniq -c | awk '{ printf "%s%s%s", sep, ($1 > 1 ? $1 " x " : ""), $2; sep = ", " }')"
        ;;
    render)
        read -r kn ks < <(files "$2" "${keyfiles[@]}")
        read -r n s < <(files "$2")
        echo "$kn keyfiles, $ks bytes; $((n - kn)) other files"
        ;;
    apply)
        read -r kn ks < <(files "$2" -path "$2/etc/*" "${keyfiles[@]}")
        read -r n s < <(files "$2" -path "$2/var/lib/netloom/*")
        echo "$kn keyfiles, $ks bytes; and its journal and lock: $n files, $s bytes"
        ;;
    esac
}

echo "netloom: $NETLOOM"
echo "netplan: $generate ($(dpkg-query -W -f '${Version}' netplan.io 2>/dev/null || echo 'version unknown'))"
echo "in: ${TMPDIR:-/tmp} ($(df --output=fstype "${TMPDIR:-/tmp}" | tail -1)), $rounds rounds, $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"

for vlans in $sizes; do
    host "$vlans"
    declare -A wrote=()
    for ((r = 0; r < rounds; r++)); do
        for tool in netplan render apply; do
            dir=$(fresh "$tool" "$vlans")
            timed "$tool" "$dir" "$vlans"
            if ((r == 0)); then
                wrote[$tool]=$(describe "$tool" "$dir")
            fi
            rm -rf "$dir"
        done
    done
    np=$(median "$work/netplan-$vlans.us")
    echo
    echo "$vlans VLANs on $(((vlans + 999) / 1000)) bond(s) of two NICs, medians of $rounds interleaved runs:"
    printf '  %-40s %8s ms  (%s)\n' "netplan generate" "$np" "$(spread "$work/netplan-$vlans.us")"
    for tool in render apply; do
        t=$(median "$work/$tool-$vlans.us")
        case $tool in
        render) what="netloom render --backend nm --out" ;;
        apply) what="netloom apply --backend nm (fresh root)" ;;
        esac
        printf '  %-40s %8s ms  (%s)  %.2fx netplan'\''s speed\n' "$what" "$t" \
            "$(spread "$work/$tool-$vlans.us")" "$(awk -v a="$np" -v b="$t" 'BEGIN { print a / b }')"
    done
    echo "  what one run wrote:"
    echo "    netplan: ${wrote[netplan]}"
    echo "    render --out: ${wrote[render]}"
    echo "    apply: ${wrote[apply]}"
    unset wrote
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
