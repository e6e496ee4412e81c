// swift-tools-version:6.0
import PackageDescription

// The VMM stack links no more than the Swift core library, Glibc and Synchronization: without these flags every
// module implicitly imports _Concurrency and _StringProcessing, which load libdispatch and the regex libraries
// into each VM process (bench/README.md, vmctl-vmm). VMMProcessLibrariesTests checks what vmctl-vmm maps.
let vmmStack: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-implicit-concurrency-module-import",
                                             "-Xfrontend", "-disable-implicit-string-processing-module-import"])]

// Targets follow shared/design/architecture.md: arrows point down only.
// VMCtlModel has no dependencies; Manifest adds YAML; VMCtlCLI renders and runs commands.
let package = Package(
    name: "vmctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vmctl", targets: ["vmctl"]),
        .library(name: "Manifest", targets: ["Manifest"]),
        .library(name: "VMCtlModel", targets: ["VMCtlModel"]),
        .library(name: "VMMDevices", targets: ["VMMDevices"]),  // for fuzz/ (VirtqueueFuzz)
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // SHA-256 for the image store and the guest cache (BoringSSL's assembly: several GB/s with SHA-NI).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // Telemetry (`vmctl reconcile`'s /metrics, docs/metrics.md): swift-prometheus keeps the series and writes
        // Prometheus's text format; swift-metrics is the vendor-neutral API through which other code can report into the
        // same registry; /metrics is served by a few lines of our own over plain sockets (Sources/Telemetry/HTTPListener.swift:
        // FlyingFox, tried first, linked FoundationNetworking with libcurl into the daemon);
        // swift-service-lifecycle runs the server as a service with graceful shutdown; swift-log is the logging API it speaks.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "VMCtlModel"),
        .target(name: "Manifest", dependencies: ["VMCtlModel", .product(name: "Yams", package: "Yams")]),
        .target(name: "Planner", dependencies: ["VMCtlModel"]),
        // The VMM stack: no Foundation at all, not even FoundationEssentials (rule 11 of architecture.md, and `vmmStack`
        // above); device models never import KVM.
        .target(name: "VMMDevices", swiftSettings: vmmStack),
        .target(name: "CKVM"),
        // KVM imports VMMDevices only for the GuestMemory protocol that GuestRAM implements.
        .target(name: "KVM", dependencies: ["CKVM", "VMMDevices"], swiftSettings: vmmStack),
        .target(name: "VMMControl", swiftSettings: vmmStack),
        // The machine builder, vCPU threads, event loop and control handler: spec → running VM.
        .target(name: "VMM", dependencies: ["KVM", "VMMDevices", "VMMControl"], swiftSettings: vmmStack),
        // Release builds link vmctl-vmm fully statically (Swift runtime and glibc): `--version` takes 0.6 ms instead of
        // 2.2 ms, an idle VM 5.3 instead of 9.1 MiB RSS (bench/README.md, vmctl-vmm). Debug builds stay dynamic: test
        // bundles link this target's code together with Foundation.
        .executableTarget(name: "vmctl-vmm", dependencies: ["VMM", "KVM", "VMMControl"], swiftSettings: vmmStack,
                          linkerSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release))]),
        // Runtime speaks to vmctl-vmm through VMMControl only; it never links the VMM (VMM, KVM, CKVM, VMMDevices).
        // Cloud images: the content-addressed store, format checks and qcow2 overlays (qemu-img as a process).
        .target(name: "Images", dependencies: ["VMCtlModel", .product(name: "Crypto", package: "swift-crypto")]),
        // NoCloud seeds (meta-data, user-data, network-config), SSH keys and known_hosts for image VMs.
        .target(name: "Provisioning", dependencies: ["VMCtlModel", .product(name: "Crypto", package: "swift-crypto"),
                                                     .product(name: "Yams", package: "Yams")]),
        .target(name: "Runtime", dependencies: ["VMCtlModel", "Planner", "VMMControl", "Images", "Provisioning",
                                                .product(name: "Crypto", package: "swift-crypto")]),
        // `vmctl reconcile`: the loop that keeps a stack on a folder or git branch, supervision, status files and events.
        .target(name: "Reconciler", dependencies: ["VMCtlModel", "Manifest", "Planner", "Runtime", "Telemetry",
                                                   .product(name: "Crypto", package: "swift-crypto"),
                                                   .product(name: "Logging", package: "swift-log"),
                                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .target(
            name: "VMCtlCLI",
            dependencies: ["VMCtlModel", "Manifest", "Planner", "Runtime", "Images", "Provisioning", "Reconciler", "Telemetry",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // Installed builds: `swift build -c release --static-swift-stdlib` links the Swift runtime and Foundation into vmctl, so
        // `vmctl reconcile` idles at ~30 instead of ~48 MiB RSS (bench/README.md, Reconciler) and runs on a host without
        // the toolchain. (A linker flag here is not enough: the static CoreFoundation must be chosen when compiling.)
        .executableTarget(name: "vmctl", dependencies: ["VMCtlCLI"]),
        // Prometheus metrics for `vmctl reconcile` and their HTTP endpoint: a leaf (no Runtime, Manifest or VMCtlCLI) so
        // the reconciler can use it and its tests need no VM.
        .target(name: "Telemetry", dependencies: [
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // One small switch process per isolated network: like the VMM, no Foundation and no implicit imports.
        .target(name: "NetSwitch", swiftSettings: vmmStack),
        .executableTarget(name: "vmctl-switch", dependencies: ["NetSwitch"], swiftSettings: vmmStack),
        // Starts each VMM unprivileged and sandboxed (docs/confinement.md). C: single-threaded, no runtime, and pivot_root
        // needs syscall(), which Swift cannot call (variadic). Linked statically: swiftc, SwiftPM's linker, would
        // otherwise load the Swift runtime (libswiftCore, ~2 ms at every VM start) into a program that never calls it.
        // (gold warns that the static runtime uses dlopen: the launcher never reaches that code.)
        .executableTarget(name: "vmctl-launch", linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .executableTarget(name: "PlanBench", dependencies: ["Planner", "VMCtlModel"], path: "bench/PlanBench"),
        .testTarget(name: "VMCtlModelTests", dependencies: ["VMCtlModel"]),
        // Finding and running binutils for the payload tests (KVMTests, VMMTests); the Debian cloud kernel as the
        // runtime finds it (GuestHost) for the tests that parse or boot it (VMMTests, VMMDevicesTests).
        .target(name: "HostTools", dependencies: ["Runtime"], path: "Tests/HostTools"),
        .testTarget(name: "KVMTests", dependencies: ["KVM", "VMMDevices", "HostTools"], exclude: ["Payloads"]),
        .testTarget(name: "NetSwitchTests", dependencies: ["NetSwitch"]),
        .testTarget(name: "VMMDevicesTests", dependencies: ["VMMDevices", "HostTools"], exclude: ["Golden"]),
        .testTarget(name: "VMMControlTests", dependencies: ["VMMControl", "vmctl-vmm"]),
        .testTarget(name: "VMMTests", dependencies: ["VMM", "KVM", "VMMDevices", "VMMControl", "vmctl-vmm", "HostTools"], exclude: ["Payloads"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "VMCtlModel", "Manifest", "VMCtlCLI"], exclude: ["Cases"]),
        .testTarget(
            name: "ManifestTests",
            dependencies: ["Manifest", "VMCtlModel"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "VMCtlCLITests", dependencies: ["VMCtlCLI", "Manifest", "Runtime", "Reconciler", "TestServers", "vmctl", "vmctl-switch", "vmctl-vmm", "vmctl-launch"], exclude: ["Golden"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "VMCtlModel"]),
        .testTarget(name: "ProvisioningTests", dependencies: ["Provisioning", "VMCtlModel"], exclude: ["Golden"]),
        // A throwaway Prometheus, a loopback HTTP client and a process spawner without inherited descriptors: for the
        // tests that read metrics back through a real Prometheus (TelemetryTests, the reconcile end-to-end test).
        .target(name: "TestServers", path: "Tests/TestServers"),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "TestServers",
                                                           .product(name: "CoreMetrics", package: "swift-metrics"),
                                                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                                           .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "VMCtlModel", "VMMControl", "vmctl-vmm"]),
        .testTarget(name: "ReconcilerTests", dependencies: ["Reconciler", "Runtime", "Planner", "VMCtlModel", "Manifest"]),
        // The repository itself: no issue numbers in product messages, no hard-coded kernel versions, the skip check.
        .testTarget(name: "ProjectTests", exclude: ["SkipLogs"]),
    ]
)
