/// The files that make the default guest behave: `/init` prepares the machine from the kernel command line,
/// then hands PID 1 to busybox init, which keeps a shell on the console and powers off cleanly.
///
/// Why busybox init after the script: it reaps orphans, respawns the console shell, and turns
/// `poweroff` (from the shell, or from acpid on an ACPI power-button press) into "run the shutdown
/// actions, stop every process, sync, power off", which a hand-written PID 1 loop would have to redo.
enum GuestInit {
    static let readinessMarker = "vmctl-guest ready"

    /// The applets the scripts below call; a busybox without them is refused at build time.
    static let requiredApplets = [
        "sh", "mount", "umount", "mkdir", "cat", "echo", "sleep", "insmod", "hostname", "ip", "acpid", "init",
        "cttyhack", "poweroff", "sync", "base64", "setsid", "kill", "touch", "rm", "chmod", "printf", "telnetd", "stty",
    ]

    /// `/init`: runs as PID 1 straight from the kernel. `@MODULE_DIR@` is replaced at build time.
    static let initScript = #"""
        #!/bin/sh
        # vmctl default guest. Parameters come from the kernel command line:
        #   vmctl.hostname=NAME   vmctl.net=IFACE,IP/PREFIX[,GATEWAY]   vmctl.mount=/dev/vdX:/path[:ro]
        #   vmctl.host=NAME:IP (an /etc/hosts entry; one per VM reachable on a shared network)
        export PATH=/sbin:/bin:/usr/sbin:/usr/bin
        say() { echo "vmctl-guest: $*"; }

        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        mkdir -p /dev/pts /dev/shm /run /tmp
        mount -t devpts devpts /dev/pts
        mount -t tmpfs -o mode=0755 tmpfs /run

        # Device nodes appear a moment after their driver binds; wait up to ~5 s.
        wait_for() {
            n=0
            while [ ! -e "$1" ]; do
                n=$((n + 1)); [ "$n" -gt 50 ] && return 1
                sleep 0.1
            done
        }

        while read -r module; do
            [ -n "$module" ] || continue
            insmod "@MODULE_DIR@/$module" || say "error: cannot load the kernel module $module"
        done < /etc/vmctl/modules

        set_hostname() {
            hostname "$1"
            echo "$1" > /etc/hostname
            echo "127.0.0.1 localhost $1" > /etc/hosts
            say "hostname $1"
        }

        configure_nic() {
            local IFS=,
            set -- $1
            if ! wait_for "/sys/class/net/$1"; then say "error: no network interface $1"; return; fi
            ip link set "$1" up
            if ! ip addr add "$2" dev "$1"; then say "error: cannot set address $2 on $1"; return; fi
            if [ -n "$3" ] && ! ip route add default via "$3" dev "$1"; then say "error: cannot route via $3"; fi
            say "network $1 $2${3:+ via $3}"
        }

        mount_volume() {
            local IFS=:
            set -- $1
            mode=${3:-rw}
            if ! wait_for "$1"; then say "error: no block device $1"; return; fi
            mkdir -p "$2"
            if mount -t ext4 -o "$mode" "$1" "$2"; then say "mounted $1 on $2 ($mode)"; else say "error: cannot mount $1 on $2"; fi
        }

        ip link set lo up
        set -f
        for param in $(cat /proc/cmdline); do
            case "$param" in
                vmctl.hostname=*) set_hostname "${param#*=}" ;;
                vmctl.net=*) configure_nic "${param#*=}" ;;
                vmctl.mount=*) mount_volume "${param#*=}" ;;
                vmctl.host=*) entry=${param#*=}; echo "${entry#*:} ${entry%%:*}" >> /etc/hosts ;;
            esac
        done
        set +f

        # acpid reads the power button through evdev and runs /etc/acpi/PWRF/00000080 on a press
        # (QMP system_powerdown). It opens the event devices once, so they must exist before it starts.
        if wait_for /dev/input/event0; then
            acpid -d -c /etc/acpi < /dev/null &
        else
            say "no ACPI power button: a graceful stop is not possible, only a forced one"
        fi

        echo "@MARKER@"
        exec /sbin/init
        """#

    /// busybox init's table: the guest agent (`vmctl exec`) and a shell on the console, both restarted if they
    /// end, and what to do before powering off. The agent starts here rather than with `&` from `/init`: a
    /// background job of a script has SIGINT ignored for good, which Ctrl-C in `vmctl exec -it` could not undo.
    static let inittab = """
        ::respawn:/etc/vmctl/agent
        ::respawn:/bin/cttyhack /bin/sh -l
        ::shutdown:/etc/vmctl/shutdown

        """

    /// Run by busybox init before it stops every process and powers off.
    static let shutdownScript = """
        #!/bin/sh
        echo "vmctl-guest: powering off"
        sync
        # Volumes still in use are remounted read-only, so they are clean when the machine stops.
        umount -a -r -t ext4 2>/dev/null
        exit 0

        """

    /// The guest agent behind `vmctl exec`: one request per line on the virtio-serial port `vmctl.agent` (QEMU's
    /// virtserialport, vmctl-vmm's MULTIPORT virtio-console), or on /dev/hvc0 where the kernel command line says
    /// `vmctl.agent=hvc0` (no vmctl backend adds it any more: a fallback for a VMM with a single-port console).
    ///   PING ID                                  → PONG ID
    ///   EXEC ID TIMEOUT_S B64(SCRIPT) B64(STDIN) → DONE ID EXIT B64(STDOUT) B64(STDERR) TIMED_OUT   ("-": empty)
    ///   TTY ID B64(SCRIPT)                       → TTYOK ID, then telnet until the script ends, then
    ///                                              IAC SB 200 "TTYDONE ID EXIT" IAC SE (EXIT "-": unknown)
    /// Base64 keeps any bytes intact on a line protocol. TIMED_OUT is 1 when the agent's watchdog ended the
    /// command for overstaying, else 0: a command may exit 124 or 143 by itself. For TTY, busybox telnetd
    /// (inetd mode, on the port) gives the script a pseudo-terminal; it never sends a lone IAC SB, so the end
    /// marker cannot be mistaken for the session's output. The agent sends the marker on a fresh open of the
    /// port: telnetd leaves the one it was given non-blocking.
    static let agentScript = #"""
        #!/bin/sh
        exec < /dev/null > /dev/null 2>&1
        port=""
        # vmctl.agent=hvc0 (the kvm backend): no virtio-serial port, the virtio-console's terminal is the channel.
        # Only where the runtime says so; elsewhere hvc0 may be absent or another program's.
        tty_port=""
        for param in $(cat /proc/cmdline); do
            [ "$param" = vmctl.agent=hvc0 ] && tty_port=/dev/hvc0
        done
        find_port() {
            if [ -n "$tty_port" ]; then
                [ -c "$tty_port" ] && port="$tty_port"
            else
                for p in /sys/class/virtio-ports/*; do
                    [ "$(cat "$p/name" 2>/dev/null)" = vmctl.agent ] && port="/dev/${p##*/}"
                done
            fi
            [ -n "$port" ]
        }
        # The port appears once the VMM announces it. Without one, idle: init restarts an agent that exits.
        tries=0
        until find_port; do
            tries=$((tries + 1)); [ "$tries" -gt 20 ] && exec sleep 2147483647
            sleep 0.5
        done
        b64() { v=$(base64 -w 0 < "$1"); echo "${v:--}"; }
        unb64() { [ "$1" = - ] || echo "$1" | base64 -d; }

        # EXEC ID TIMEOUT_S SCRIPT STDIN. The command runs in a session of its own (setsid), so the watchdog
        # ends it with everything it started (its process group: SIGTERM, SIGKILL for what is left 2 s later);
        # the watchdog's flag file says it did.
        # 3>&- : neither may hold the port, or a leftover child blocks the next session.
        run_command() {
            unb64 "$3" > /run/agent.sh
            unb64 "$4" > /run/agent.in
            rm -f /run/agent.overstayed
            setsid sh /run/agent.sh < /run/agent.in > /run/agent.out 2> /run/agent.err 3>&- &
            command=$!
            setsid sh -c 'sleep "$1" && touch /run/agent.overstayed && kill -TERM -"$2" || exit 0
                i=0; while [ "$i" -lt 20 ] && kill -0 -"$2"; do sleep 0.1; i=$((i + 1)); done
                kill -KILL -"$2"' watchdog "$2" "$command" 3>&- &
            watchdog=$!
            wait "$command"
            status=$?
            overstayed=0
            if [ -e /run/agent.overstayed ]; then
                # The command may have died of the SIGTERM while something it started ignores it: the watchdog
                # ends once the group is empty, or SIGKILLs what is left after 2 s. Stopping it now would spare that.
                overstayed=1
                wait "$watchdog"
            else
                kill -TERM -"$watchdog" 2>/dev/null
            fi
            echo "DONE $1 $status $(b64 /run/agent.out) $(b64 /run/agent.err) $overstayed" >&3
        }

        # TTY ID SCRIPT. telnetd runs the login script on a new pseudo-terminal and relays it over the port
        # until every process holding that terminal is gone, or until the host hangs up (then the terminal's
        # processes get SIGHUP). The login script records the exit status for the end marker.
        run_terminal() {
            unb64 "$2" > /run/agent-tty.sh
            printf '%s\n' '#!/bin/sh' 'sh /run/agent-tty.sh' 'echo $? > /run/agent-tty.status' > /run/agent-tty.login
            chmod 755 /run/agent-tty.login
            rm -f /run/agent-tty.status
            echo "TTYOK $1" >&3
            telnetd -i -f /dev/null -l /run/agent-tty.login <&3 >&3 3>&-
            ended="$1 $(cat /run/agent-tty.status 2>/dev/null || echo -)"
        }

        ended=""
        serve() {
            # A terminal port (hvc0) must pass bytes as they are: no echo, no line editing, no CR/NL mapping.
            [ -t 3 ] && stty raw -echo <&3
            if [ -n "$ended" ]; then
                # A newline after the marker: a vmctl that hung up meanwhile reads it as a line to skip.
                printf '\377\372\310TTYDONE %s\377\360\n' "$ended" >&3
                ended=""
            fi
            while read -r verb id fields <&3; do
                set -- $fields
                case "$verb" in
                    PING) echo "PONG $id" >&3 ;;
                    EXEC) run_command "$id" "$@" ;;
                    TTY) run_terminal "$id" "$@"; return 0 ;;
                esac
            done
            return 1
        }
        # Reads end (EOF) whenever no host side is connected, and reopening can fail for a moment: a failed
        # redirection on a function call is not fatal (on `exec` it would end the agent), so retry forever.
        # After a TTY session the port is reopened at once for the end marker. A terminal port never reads end
        # (hvc0 has no host side to close) and is held open on fd 4 besides: its settings would reset on the last close.
        if [ -n "$tty_port" ]; then
            exec 4<>"$port"
            stty raw -echo <&4
        fi
        while true; do
            serve 3<>"$port" || sleep 0.3
        done
        """#

    /// acpid's handler for the power button: ask init for an orderly power-off.
    static let powerButtonHandler = """
        #!/bin/sh
        exec /sbin/poweroff

        """

    static let profile = #"""
        export PS1='\h:\w\$ '

        """#

    static func initScript(moduleDirectory: String) -> String {
        initScript.replacingOccurrences(of: "@MODULE_DIR@", with: moduleDirectory)
            .replacingOccurrences(of: "@MARKER@", with: readinessMarker) + "\n"
    }
}
