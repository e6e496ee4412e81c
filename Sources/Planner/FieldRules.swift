import VMCtlModel

/// The one table that says what a change to each field costs. docs/planning.md mirrors it.
public enum FieldRules {
    public struct Rule: Sendable {
        public var field: String
        public var impact: Impact
        public var why: String
    }

    public static let vm: [Rule] = [
        Rule(field: "labels", impact: .live, why: "labels are vmctl's metadata; the guest does not see them"),
        Rule(field: "runStrategy", impact: .live, why: "it decides power actions only"),
        Rule(field: "readiness", impact: .live, why: "it is used only while a VM starts"),
        Rule(field: "dependsOn", impact: .live, why: "it orders actions only"),
        Rule(field: "limits", impact: .live, why: "the VM's cgroup takes new limits in place (a memory limit below what the VMM uses makes the kernel reclaim, or refuse on cgroup v1)"),
        Rule(field: "cpus", impact: .restart, why: "vCPUs are fixed when the VMM starts"),
        Rule(field: "memory", impact: .restart, why: "guest RAM is fixed when the VMM starts"),
        Rule(field: "kernel", impact: .restart, why: "the kernel, initrd and command line are loaded at boot"),
        Rule(field: "networks", impact: .restart, why: "NICs are attached when the VMM starts (no hot-plug)"),
        Rule(field: "disks.readOnly", impact: .restart, why: "attachments are made when the VMM starts"),
        Rule(field: "disks.mountPoint", impact: .restart, why: "the guest mounts volumes at boot"),
        Rule(field: "disks", impact: .recreate, why: "adding, removing or reordering disks changes the VM's device layout"),
        Rule(field: "image", impact: .dataLoss, why: "the root disk is made anew from the new image: what the VM wrote to it is lost (volumes are kept)"),
        Rule(field: "image.sha256 (same image)", impact: .live, why: "pinning the digest of the image the VM already uses changes nothing"),
        Rule(field: "image.size (grow)", impact: .restart, why: "the root disk grows while the VM is stopped; cloud-init grows the filesystem at boot"),
        Rule(field: "image.size (shrink)", impact: .dataLoss, why: "refused: shrinking would cut off the root filesystem"),
        Rule(field: "firmware", impact: .restart, why: "the firmware is loaded when the VMM starts"),
        Rule(field: "cloudInit", impact: .restart, why: "the VM is provisioned again at its next boot: a new seed means a new instance-id, and cloud-init runs users, files and runcmd again"),
        Rule(field: "ports", impact: .restart, why: "forwards are set up when the VMM starts"),
        Rule(field: "backend", impact: .recreate, why: "a VM cannot move between VMMs; it is created anew"),
        Rule(field: "backend (same VMM)", impact: .live, why: "naming the VMM the VM already runs on (auto → kvm) moves nothing"),
    ]

    public static let network: [Rule] = [
        Rule(field: "subnet", impact: .recreate, why: "addresses of every attached VM change"),
        Rule(field: "gateway", impact: .recreate, why: "the switch or bridge is set up with it"),
        Rule(field: "mode", impact: .recreate, why: "isolated, nat and bridge networks are different devices"),
        Rule(field: "bridge", impact: .recreate, why: "the taps move to another bridge"),
    ]

    public static let volume: [Rule] = [
        Rule(field: "size (grow)", impact: .restart, why: "the image grows while the VMs using it are stopped"),
        Rule(field: "size (shrink)", impact: .dataLoss, why: "refused: shrinking would cut off data"),
        Rule(field: "source, format, filesystem", impact: .dataLoss, why: "refused: only a new volume can change them"),
    ]

    public static func impact(ofVMField field: String) -> Impact {
        vm.first { $0.field == field }?.impact ?? .recreate
    }
}
