import ArgumentParser
import Foundation
import Runtime

struct GuestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest",
        abstract: "Build or inspect the default guest that VMs without a kernel boot.",
        discussion: "The default guest is a kernel and an initramfs vmctl builds from busybox-static. The kernel is vmctl's micro kernel once 'vmctl guest build --kernel micro' has built it (from the linux-source-6.1 package, cached host-wide under /var/cache/vmctl/kernels), else the host's Debian cloud kernel (linux-image-cloud-amd64), whose virtio modules then go into the initramfs. The guest is cached by content hash under <state-dir>/guest; apply builds it when needed. VMCTL_GUEST_KERNEL=debian keeps the Debian kernel.",
        subcommands: [GuestBuildCommand.self, GuestInfoCommand.self])
}

struct GuestBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the default guest now, or reuse the cached one when its inputs are unchanged.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Option(name: .long, help: ArgumentHelp("micro: also build vmctl's micro kernel first (minutes, once per host and kernel source; needs linux-source-6.1 and a compiler).", valueName: "micro"))
    var kernel: KernelChoice?

    enum KernelChoice: String, ExpressibleByArgument { case micro }

    func run() throws {
        let cache = GuestView.cacheDirectory(global)
        let started = Date()
        if kernel == .micro {
            let micro = MicroKernel()
            do {
                let (built, reused) = try micro.build { step in Console.err("micro kernel: \(step)\n") }
                let mib = String(format: "%.1f", Double(built.bytes) / 1_048_576)
                Console.err(reused ? "micro kernel: \(built.release) is built (\(built.path), \(mib) MiB)\n"
                                   : "micro kernel: built \(built.release) in \(Int(built.buildSeconds)) s (\(built.path), \(mib) MiB)\n")
            } catch {
                Console.err("vmctl: error: \(error)\n")
                throw ExitCode(1)
            }
        }
        let build: GuestBuilder.Build
        do { build = try GuestBuilder.build(cacheDirectory: cache) } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        switch format.output {
        case .json: Console.out(GuestView.json(build.guest, reused: build.reused))
        case .human:
            let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
            Console.out((build.reused ? "Reused the cached default guest" : "Built the default guest in \(seconds) s") + ".\n")
            Console.out(GuestView.human(build.guest))
        }
    }
}

struct GuestInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the default guest for this host's kernel and busybox, if it is built.",
        discussion: "Exit status: 0 when it is built, 1 when it is not (run vmctl guest build) or cannot be built.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let guest: DefaultGuest?
        do { guest = try GuestBuilder.info(cacheDirectory: GuestView.cacheDirectory(global)) } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        guard let guest else {
            Console.err("vmctl: error: the default guest is not built yet for this host's kernel and busybox; run vmctl guest build\n")
            throw ExitCode(1)
        }
        switch format.output {
        case .json: Console.out(GuestView.json(guest, reused: nil))
        case .human: Console.out(GuestView.human(guest))
        }
    }
}
