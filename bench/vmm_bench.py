#!/usr/bin/env python3
"""vmctl-vmm against QEMU microvm on the same tiny payload (bench/vmm.sh runs this).

Measures, alternating the two VMMs run by run:
  1. process start (just before fork/exec) to the first guest serial byte, and to process exit;
  2. memory of an idle VM beyond guest RAM, from /proc/PID/smaps_rollup and the guest RAM mapping in /proc/PID/smaps:
     RSS, and anonymous memory (smaps Anonymous), which unlike Private_Dirty does not count the binary's page-cache
     pages while a fresh build has left them dirty;
  3. control round trips: vmctl-vmm `describe` vs QMP `query-status`, and pause/resume (`pause`/`resume` vs
     QMP `stop`/`cont`), each on one open connection, plus connect+describe+close.
"""
import functools, argparse, json, os, select, socket, statistics, subprocess, sys, tempfile, time

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

def summary(values):
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):8.2f}  min {min(ms):8.2f}  p90 {pct(ms, 90):8.2f}  max {max(ms):8.2f}"

def vmm_spec(folder, vmm_payload, memory, console, serial_input=False):
    spec = {"version": 1, "name": "bench", "vcpus": 1, "memoryMiB": memory, "kernel": vmm_payload, "cmdline": "",
            "disks": [], "consoleLog": console, "controlSocket": os.path.join(folder, "control.sock"),
            "serialInput": serial_input}
    path = os.path.join(folder, "launch.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    return path

# The uid a confined benchmark VMM runs as: the last of vmctl's per-VM range (docs/confinement.md), which vmctl leases
# from the bottom, so a benchmark never shares one with a running VM.
BENCH_UID = 0x7000FFFF

def vmm_command(vmm, spec, launcher=None):
    """vmctl-vmm's argv for `spec`; with `launcher`, vmctl-launch's, as the runtime confines it: the spec rewritten with
    descriptors for everything, which the launcher opens as root before it jails the VMM under BENCH_UID."""
    if launcher is None:
        return [vmm, spec]
    with open(spec) as f:
        content = json.load(f)
    content["descriptors"] = {"kernel": 4, "consoleLog": 5, "controlSocket": 6, "disks": [], "nets": []}
    with open(spec, "w") as f:
        json.dump(content, f)
    argv = [launcher, "--uid", str(BENCH_UID), "--gid", str(BENCH_UID), "--nofile", "256", "--nproc", "65", "--dev", "kvm"]
    runtime = swift_runtime_folder(vmm)
    if runtime:
        argv += ["--ro", runtime]
    argv += ["--file", f"3:r:{spec}", "--file", f"4:r:{content['kernel']}", "--file", f"5:a:{content['consoleLog']}",
             "--listen", f"6:{content['controlSocket']}", "--", vmm, "--spec-fd", "3", spec]
    return argv

@functools.lru_cache(maxsize=None)   # once per binary: ldd is a process of its own, counted in cpu/run otherwise
def swift_runtime_folder(vmm):
    """The folder of the Swift runtime a dynamically linked vmctl-vmm loads (None for a static build)."""
    output = subprocess.run(["ldd", vmm], capture_output=True, text=True).stdout
    for line in output.splitlines():
        if "libswiftCore.so => " in line:
            folder = os.path.dirname(line.split("=> ")[1].split(" (")[0])
            return None if folder.startswith(("/usr/", "/lib")) else folder
    return None

def qemu_command(qemu, payload, memory, extra=()):
    return [qemu, "-M", "microvm", "-accel", "kvm", "-m", str(memory), "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit", "-kernel", payload, "-no-reboot", *extra]

def wait_readable(fd, deadline):
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return False
        for _, event in poller.poll(left * 1000):
            if event & select.POLLIN:
                return True
            if event & select.POLLHUP:
                return False

def first_byte_vmm(vmm, payload, memory, launcher=None):
    with tempfile.TemporaryDirectory(prefix="vmmb-", dir="/tmp") as folder:
        console = os.path.join(folder, "console.log")
        os.mkfifo(console)
        reader = os.open(console, os.O_RDONLY | os.O_NONBLOCK)
        spec = vmm_spec(folder, payload, memory, console)
        argv = vmm_command(vmm, spec, launcher)   # before the clock: it may run ldd
        start = time.perf_counter()
        process = subprocess.Popen(argv, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        got = wait_readable(reader, start + 10)
        first = time.perf_counter()
        output = os.read(reader, 64) if got else b""
        process.wait(10)
        end = time.perf_counter()
        os.close(reader)
        if output[:1] != b"o" or process.returncode != 0:
            raise SystemExit(f"vmctl-vmm run failed: status {process.returncode}, output {output!r}")
        return first - start, end - start

def first_byte_qemu(qemu, payload, memory):
    start = time.perf_counter()
    process = subprocess.Popen(qemu_command(qemu, payload, memory), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = wait_readable(process.stdout.fileno(), start + 10)
    first = time.perf_counter()
    output = os.read(process.stdout.fileno(), 64) if got else b""
    process.wait(10)
    end = time.perf_counter()
    if output[:1] != b"o" or process.returncode != 1:   # isa-debug-exit with 0: status 1
        raise SystemExit(f"qemu run failed: status {process.returncode}, output {output!r}")
    return first - start, end - start

def first_byte_floor(floor):
    start = time.perf_counter()
    process = subprocess.Popen([floor], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    got = wait_readable(process.stdout.fileno(), start + 10)
    first = time.perf_counter()
    output = os.read(process.stdout.fileno(), 64) if got else b""
    process.wait(10)
    end = time.perf_counter()
    if output[:1] != b"o" or process.returncode != 0:
        raise SystemExit(f"floor run failed: status {process.returncode}, output {output!r}")
    return first - start, end - start

def smaps(pid, ram_bytes):
    """The process's totals (/proc/PID/smaps_rollup) and the guest RAM mapping's Rss, Private_Dirty and Anonymous (KiB).

    Memory beyond guest RAM is reported as Anonymous: pages no file backs (heap, stacks, the copied-on-write data of
    the binary and its libraries). Private_Dirty also counts a file's page-cache pages while they are dirty and mapped
    by this process alone, which the binary's own text is right after a build until it is written back: a vmctl-vmm
    started then showed 5,292 instead of ~300 KiB. So Private_Dirty is printed for comparison only.
    """
    rollup = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                rollup[parts[0].rstrip(":")] = int(parts[1])
    # The guest RAM mapping: the anonymous mapping of at least the guest's size with the most resident pages.
    fields = ("Rss", "Private_Dirty", "Anonymous")
    ram = dict.fromkeys(fields, 0)
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                current = {"size": hi - lo, "anon": len(parts) < 6}
            elif current is not None and parts[0].rstrip(":") in fields:
                current[parts[0].rstrip(":")] = int(parts[1])
                if parts[0] == "Anonymous:" and current["anon"] and current["size"] >= ram_bytes and current.get("Rss", 0) >= ram["Rss"]:
                    ram = {key: current.get(key, 0) for key in fields}
    return rollup, ram

def wait_for_file_text(path, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path, "rb") as f:
                if text in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    return False

class LineSocket:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""

    def request(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")
        return self.read()

    def read(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("connection closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.sock.close()

def idle_vmm(vmm, payload, memory, rounds, launcher=None):
    with tempfile.TemporaryDirectory(prefix="vmmb-", dir="/tmp") as folder:
        console = os.path.join(folder, "console.log")
        spec = vmm_spec(folder, payload, memory, console)
        if launcher:
            os.close(os.open(console, os.O_CREAT | os.O_WRONLY, 0o644))
        process = subprocess.Popen(vmm_command(vmm, spec, launcher), stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        try:
            if not wait_for_file_text(console, b"ok"):
                raise SystemExit("vmctl-vmm idle payload printed nothing")
            time.sleep(0.5)
            memory_use = smaps(process.pid, memory << 20)
            sock = os.path.join(folder, "control.sock")
            client = LineSocket(sock)
            ident = 0
            describe, pause, resume, connect = [], [], [], []
            for _ in range(rounds):
                ident += 1
                t = time.perf_counter()
                answer = client.request({"version": 1, "id": ident, "command": "describe"})
                describe.append(time.perf_counter() - t)
                assert answer["ok"], answer
            for _ in range(rounds // 4):
                ident += 2
                t = time.perf_counter()
                assert client.request({"version": 1, "id": ident, "command": "pause"})["ok"]
                pause.append(time.perf_counter() - t)
                t = time.perf_counter()
                assert client.request({"version": 1, "id": ident + 1, "command": "resume"})["ok"]
                resume.append(time.perf_counter() - t)
            for _ in range(rounds // 4):
                t = time.perf_counter()
                other = LineSocket(sock)
                assert other.request({"version": 1, "id": 1, "command": "describe"})["ok"]
                other.close()
                connect.append(time.perf_counter() - t)
            client.request({"version": 1, "id": ident + 2, "command": "power-off"})
            process.wait(10)
            return memory_use, describe, pause, resume, connect
        finally:
            if process.poll() is None:
                process.kill()

def idle_qemu(qemu, payload, memory, rounds):
    with tempfile.TemporaryDirectory(prefix="vmmb-", dir="/tmp") as folder:
        qmp = os.path.join(folder, "qmp.sock")
        out = os.path.join(folder, "console.log")
        with open(out, "wb") as console:
            process = subprocess.Popen(qemu_command(qemu, payload, memory, ["-qmp", f"unix:{qmp},server=on,wait=off"]),
                                       stdout=console, stderr=subprocess.DEVNULL)
        try:
            if not wait_for_file_text(out, b"ok"):
                raise SystemExit("qemu idle payload printed nothing")
            time.sleep(0.5)
            memory_use = smaps(process.pid, memory << 20)
            client = LineSocket(qmp)
            client.read()   # greeting
            client.request({"execute": "qmp_capabilities"})
            query, stop, cont = [], [], []
            for _ in range(rounds):
                t = time.perf_counter()
                assert "return" in client.request({"execute": "query-status"})
                query.append(time.perf_counter() - t)
            def command(name):
                t = time.perf_counter()
                while True:   # skip asynchronous events (STOP/RESUME) until the command's return
                    answer = client.request({"execute": name}) if name else client.read()
                    name = None
                    if "return" in answer:
                        return time.perf_counter() - t
            for _ in range(rounds // 4):
                stop.append(command("stop"))
                cont.append(command("cont"))
            process.kill()
            process.wait(10)
            return memory_use, query, stop, cont
        finally:
            if process.poll() is None:
                process.kill()

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vmm", required=True)
    parser.add_argument("--qemu", default="/usr/bin/qemu-system-x86_64")
    parser.add_argument("--payload", required=True, help="ELF that prints ok and ends the VM")
    parser.add_argument("--idle-payload", required=True, help="ELF that prints ok and halts")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--memory", type=int, default=64)
    parser.add_argument("--floor", help="bare C KVM program (bench/payloads/kvm_floor.c) for the floor")
    args = parser.parse_args()
    qemu = os.path.exists(args.qemu)

    # Warm the page cache and both binaries.
    for _ in range(3):
        first_byte_vmm(args.vmm, args.payload, args.memory)
        if qemu:
            first_byte_qemu(args.qemu, args.payload, args.memory)
    ours, theirs, floor = [], [], []
    for _ in range(args.runs):
        ours.append(first_byte_vmm(args.vmm, args.payload, args.memory))
        if qemu:
            theirs.append(first_byte_qemu(args.qemu, args.payload, args.memory))
        if args.floor:
            floor.append(first_byte_floor(args.floor))
    print(f"## 1. process start to first serial byte / to exit, ms ({args.runs} runs each, alternating; {args.memory} MiB, 1 vCPU)")
    print(f"vmctl-vmm      first byte  {summary([r[0] for r in ours])}")
    print(f"vmctl-vmm      exit        {summary([r[1] for r in ours])}")
    if qemu:
        print(f"qemu microvm   first byte  {summary([r[0] for r in theirs])}")
        print(f"qemu microvm   exit        {summary([r[1] for r in theirs])}")
    if floor:
        print(f"bare C (floor) first byte  {summary([r[0] for r in floor])}")
        print(f"bare C (floor) exit        {summary([r[1] for r in floor])}")

    rounds = max(40, args.runs * 4)
    (rollup, ram), describe, pause, resume, connect = idle_vmm(args.vmm, args.idle_payload, args.memory, rounds)
    q = idle_qemu(args.qemu, args.idle_payload, args.memory, rounds) if qemu else None
    print()
    print(f"## 2. idle VM memory, KiB (/proc/PID/smaps_rollup; guest RAM = the {args.memory} MiB anonymous mapping in smaps)")
    print("#  Anon beyond RAM (smaps Anonymous: heap, stacks, copied-on-write data) is the process's own memory. Priv_Dirty")
    print("#  also counts the binary's page-cache pages while they are dirty (right after a build, until written back).")
    print(f"{'':14} {'Rss':>8} {'Pss':>8} {'Anonymous':>10} {'guest RAM Rss':>14} {'Rss beyond RAM':>15} "
          f"{'Anon beyond RAM':>16} {'Priv_Dirty beyond RAM':>22}")
    def row(name, rollup, ram):
        print(f"{name:14} {rollup['Rss']:8} {rollup['Pss']:8} {rollup['Anonymous']:10} {ram['Rss']:14} "
              f"{rollup['Rss'] - ram['Rss']:15} {rollup['Anonymous'] - ram['Anonymous']:16} "
              f"{rollup['Private_Dirty'] - ram['Private_Dirty']:22}")
    row("vmctl-vmm", rollup, ram)
    if q:
        row("qemu microvm", *q[0])
    print()
    print(f"## 3. control round trips on one open connection, ms ({rounds} describes, {rounds // 4} pause/resume pairs)")
    print(f"vmctl-vmm      describe              {summary(describe)}")
    print(f"vmctl-vmm      connect+describe      {summary(connect)}")
    print(f"vmctl-vmm      pause                 {summary(pause)}")
    print(f"vmctl-vmm      resume                {summary(resume)}")
    if q:
        print(f"qemu microvm   QMP query-status      {summary(q[1])}")
        print(f"qemu microvm   QMP stop              {summary(q[2])}")
        print(f"qemu microvm   QMP cont              {summary(q[3])}")

if __name__ == "__main__":
    main()
