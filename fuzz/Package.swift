// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for the manifest loader and for the virtqueue/virtio-blk device models. Separate from the root
// package so its sanitizer flags never touch the normal build. Build and run with ./run.sh (see README.md).
let package = Package(
    name: "vmctl-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the identity does not depend on the name of the checkout folder.
        .package(name: "vmctl", path: ".."),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver for Swift.
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "ManifestFuzz",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "Manifest", package: "vmctl"),
                .product(name: "VMCtlModel", package: "vmctl"),
            ]
        ),
        .executableTarget(
            name: "VirtqueueFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "VMMDevices", package: "vmctl")]
        ),
    ]
)
