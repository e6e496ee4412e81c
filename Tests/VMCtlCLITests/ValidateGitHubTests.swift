import Foundation
import Testing
import VMCtlModel
@testable import VMCtlCLI

/// `vmctl validate -o github`: GitHub Actions workflow commands, one per diagnostic.
@Suite("vmctl validate -o github")
struct ValidateGitHubTests {
    static let inputs = ["Tests/VMCtlCLITests/Golden/validate-github/stack.yaml", "Tests/VMCtlCLITests/Golden/validate-github/web,db.yaml"]

    @Test("problems in two files become ::error commands with relative file, line, col, escaped; matches its golden file")
    func golden() throws {
        let result = try VMCtlProcess.run(["validate", "-o", "github"] + Self.inputs)
        #expect(result.status == 1)
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let url = RootCommandTests.golden.appendingPathComponent("validate-github.txt")
        if RootCommandTests.updating { try result.stdout.write(to: url, atomically: true, encoding: .utf8) }
        #expect(result.stdout == (try String(contentsOf: url, encoding: .utf8)), "VMCTL_UPDATE_GOLDEN=1 rewrites it; review the diff")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines.allSatisfy { $0.hasPrefix("::error file=Tests/VMCtlCLITests/Golden/validate-github/") })
    }

    @Test("a valid stack prints nothing and exits 0")
    func valid() throws {
        let result = try VMCtlProcess.run(["validate", "-o", "github", "examples/quickstart.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
    }

    @Test("escaping: % CR LF in the message; also : and , in properties; a warning is ::warning")
    func escaping() {
        let location = SourceLocation(file: "a:b,c%.yaml", line: 3, column: 7)
        let warning = Diagnostic(.warning, at: location, path: "vms.api.cpus", "100% of\r\nthe CPUs: a, b", hint: "x")
        #expect(GitHubAnnotations.command(warning)
                == "::warning file=a%3Ab%2Cc%25.yaml,line=3,col=7,title=vmctl validate::100%25 of%0D%0Athe CPUs: a, b [vms.api.cpus]%0Ahint: x\n")
        let error = Diagnostic(.error, at: SourceLocation(file: "<stdin>", line: 1, column: 1), path: "vms.api.cpus", "vms.api.cpus must be 1")
        #expect(GitHubAnnotations.command(error) == "::error title=vmctl validate::vms.api.cpus must be 1\n")
    }

    @Test("other commands refuse -o github as a usage error", arguments: [
        ["plan", "-o", "github", "examples/quickstart.yaml"],
        ["apply", "-o", "github", "examples/quickstart.yaml"],
        ["status", "-o", "github"],
    ])
    func otherCommandsRefuse(_ arguments: [String]) throws {
        let result = try VMCtlProcess.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("'github'"), "\(result.stderr)")
    }
}
