#!/usr/bin/env python3
"""Generate a realistic, valid vmctl stack with N VM instances (replicas count) for benchmarks.

    bench/gen_stack.py N OUT.yaml [--seed S]

The stack declares its own `host:` block (2 CPUs, 16 GiB: fits the 2-core / ~23 GiB bench machine) with overcommit
factors computed from the generated VMs, so `vmctl validate OUT.yaml` passes on any host with >= 2 CPUs and >= 16 GiB.

Shape (deterministic for a given N and seed):
- about N/50 networks (at least 1), each with its own /24 (10.100.0.0/24, 10.100.1.0/24, ...), modes mixed;
- VM definitions in tiers of ~10: single VMs (static IP on their first NIC, some with a static MAC, their own
  read-write data volume with mountPoint) and replicated ones (replicas 2..8, a shared read-only image volume);
- dependsOn chains: every VM depends on one or two VMs of the previous definitions in its tier (acyclic);
- labels on every VM, kernels on some, readiness on some, YAML anchors and merge keys for shared defaults.
"""
import argparse
import random
import sys

HOST_CPUS = 2
HOST_MEMORY_GIB = 16
MIB = 1 << 20


def generate(n: int, seed: int) -> str:
    rng = random.Random(seed)
    network_count = max(1, n // 50)
    networks = [f"net-{i:04d}" for i in range(network_count)]
    next_host = {name: 10 for name in networks}  # next static host number per /24 (.10 ... .250)

    out = []
    w = out.append
    vms = []        # (name, lines)
    volumes = []    # lines
    instances = 0
    total_cpus = 0
    total_memory = 0
    tier = 0
    mac_serial = 0
    while instances < n:
        tier_names = []
        for slot in range(10):
            if instances >= n:
                break
            name = f"t{tier:04d}-{['web', 'api', 'db', 'cache', 'queue', 'worker', 'search', 'auth', 'batch', 'edge'][slot]}"
            remaining = n - instances
            replicated = slot in (0, 1, 5) and remaining >= 2
            replicas = min(rng.randint(2, 8), remaining) if replicated else None
            count = replicas or 1
            cpus = rng.choice([1, 1, 1, 2])
            memory_mib = rng.choice([128, 256, 256, 512, 1024])
            lines = [f"  {name}:"]
            if replicas is not None:
                lines.append(f"    replicas: {replicas}")
            if slot % 3 == 0:
                lines.append("    <<: *vm-defaults")
                cpus, memory_mib = 1, 256
            else:
                lines.append(f"    cpus: {cpus}")
                lines.append(f"    memory: {memory_mib}MiB")
            if slot == 9:
                lines.append("    backend: kvm")
            # NICs: primary network by tier, sometimes a second one.
            primary = networks[(instances // 50) % network_count]
            nics = [primary]
            if network_count > 1 and rng.random() < 0.3:
                second = networks[(networks.index(primary) + 1) % network_count]
                nics.append(second)
            lines.append("    networks:")
            for index, network in enumerate(nics):
                nic = f"      - network: {network}"
                if replicas is None and index == 0 and next_host[network] <= 250:
                    host_part = next_host[network]
                    next_host[network] += 1
                    net_index = networks.index(network)
                    nic += f"\n        ip: 10.{100 + net_index // 256}.{net_index % 256}.{host_part}"
                    if rng.random() < 0.3:
                        mac_serial += 1
                        nic += f"\n        mac: \"52:54:00:{(mac_serial >> 16) & 0xff:02x}:{(mac_serial >> 8) & 0xff:02x}:{mac_serial & 0xff:02x}\""
                lines.append(nic)
            # Disks.
            if replicas is None:
                volume = f"{name}-data"
                volumes.append(f"  {volume}: {{size: {rng.choice([1, 2, 4, 8])}GiB, filesystem: ext4}}")
                lines.append("    disks:")
                lines.append(f"      - volume: {volume}")
                lines.append("        mountPoint: /var/lib/data")
            else:
                volume = f"{name}-image"
                volumes.append(f"  {volume}: {{source: images/{name}.raw, format: raw}}")
                lines.append(f"    disks: [{{volume: {volume}, readOnly: true, mountPoint: /srv}}]")
            if tier_names:
                deps = sorted(set(rng.sample(tier_names, min(len(tier_names), rng.randint(1, 2)))))
                lines.append(f"    dependsOn: [{', '.join(deps)}]")
            if slot == 2:
                lines.append("    kernel:")
                lines.append("      image: kernels/vmlinux")
                lines.append("      initrd: kernels/initrd.img")
                lines.append("      cmdline: \"console=ttyS0 reboot=k panic=1 quiet\"")
                lines.append("    readiness: {consoleMarker: \"database system is ready\", timeout: 2m}")
            if slot == 8:
                lines.append("    runStrategy: RerunOnFailure")
            lines.append(f"    labels: {{tier: \"{tier}\", role: {name.split('-', 1)[1]}, vmctl.dev/owner: team-{tier % 7}}}")
            vms.append(lines)
            tier_names.append(name)
            instances += count
            total_cpus += cpus * count
            total_memory += memory_mib * MIB * count
        tier += 1

    host_memory = HOST_MEMORY_GIB << 30
    cpu_overcommit = max(4.0, -(-total_cpus // HOST_CPUS) * 1.0 + 1)
    memory_overcommit = max(1.0, round(total_memory / host_memory + 0.5, 1))

    w("# Generated by bench/gen_stack.py; do not edit.")
    w(f"# {instances} VM instances in {len(vms)} definitions, {network_count} networks, {len(volumes)} volumes.")
    w("apiVersion: vmctl/v1")
    w("kind: Stack")
    w("metadata:")
    w(f"  name: bench-{n}")
    w("host:")
    w(f"  cpus: {HOST_CPUS}")
    w(f"  memory: {HOST_MEMORY_GIB}GiB")
    w("  overcommit:")
    w(f"    cpu: {cpu_overcommit}")
    w(f"    memory: {memory_overcommit}")
    w("networks:")
    modes = ["nat", "isolated", "isolated"]
    for i, name in enumerate(networks):
        w(f"  {name}:")
        w(f"    subnet: 10.{100 + i // 256}.{i % 256}.0/24")
        w(f"    mode: {modes[i % len(modes)]}")
    w("volumes:")
    out.extend(volumes)
    w("vms:")
    # The first VM carries the anchor the others merge from.
    first = vms[0]
    out.append(first[0])
    out.append("    <<: &vm-defaults {cpus: 1, memory: 256MiB, runStrategy: Always}")
    out.extend(line for line in first[1:] if line != "    <<: *vm-defaults")
    for lines in vms[1:]:
        out.extend(lines)
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of VM instances (replicas count)")
    parser.add_argument("out", help="output file (- for stdout)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.n < 1:
        parser.error("N must be at least 1")
    text = generate(args.n, args.seed)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
