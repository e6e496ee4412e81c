import Foundation
import Testing

@Suite("vmctl validate")
struct ValidateCommandTests {
    let bad = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: demo}
        vms:
          api:
            cpus: 0
            memroy: 1GiB

        """

    @Test("every example in examples/ is valid")
    func examplesAreValid() throws {
        for example in ["examples/quickstart.yaml", "examples/three-tier.yaml", "examples/folder"] {
            let result = try VMCtlProcess.run(["validate", example])
            #expect(result.status == 0, "\(example): \(result.stderr)")
            #expect(result.stdout.contains("valid"), "\(example)")
            #expect(result.stderr.isEmpty, "\(example): \(result.stderr)")
        }
    }

    @Test("invalid input exits 1 with FILE:LINE:COL diagnostics and hints on stderr")
    func invalidHuman() throws {
        let result = try VMCtlProcess.run(["validate", "-"], stdin: bad)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == """
            <stdin>:6:11: error: vms.api.cpus must be between 1 and 255, found 0
            <stdin>:7:5: error: unknown field 'memroy' in VM 'api' [vms.api.memroy]
                hint: did you mean 'memory'?

            """)
    }

    @Test("-o json prints valid, and each diagnostic with file, line, column, path, severity, message, hint")
    func invalidJSON() throws {
        let result = try VMCtlProcess.run(["validate", "-o", "json", "-"], stdin: bad)
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["valid"] as? Bool == false)
        let diagnostics = try #require(object?["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 2)
        let first = diagnostics[0]
        #expect(first["file"] as? String == "<stdin>")
        #expect(first["line"] as? Int == 6)
        #expect(first["column"] as? Int == 11)
        #expect(first["path"] as? String == "vms.api.cpus")
        #expect(first["severity"] as? String == "error")
        #expect(first["hint"] is NSNull)
        #expect(diagnostics[1]["hint"] as? String == "did you mean 'memory'?")
    }

    @Test("valid input with -o json prints valid: true and no diagnostics")
    func validJSON() throws {
        let result = try VMCtlProcess.run(["validate", "-o", "json", "examples/quickstart.yaml"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["valid"] as? Bool == true)
        #expect((object?["diagnostics"] as? [Any])?.isEmpty == true)
    }

    @Test("usage errors exit 2", arguments: [
        ["validate"],
        ["validate", "--no-such-flag", "examples/quickstart.yaml"],
        ["validate", "-o", "yaml", "examples/quickstart.yaml"],
        ["validate", "does-not-exist.yaml"],
        ["no-such-command"],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let result = try VMCtlProcess.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test("a missing file is named in the error")
    func missingFile() throws {
        let result = try VMCtlProcess.run(["validate", "does-not-exist.yaml"])
        #expect(result.stderr == "vmctl: error: cannot read 'does-not-exist.yaml': no such file or folder\n")
    }

    @Test("${VAR} comes from the environment of the command")
    func environmentSubstitution() throws {
        let manifest = """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: env}
            vms:
              api:
                cpus: ${API_CPUS}

            """
        let unset = try VMCtlProcess.run(["validate", "-"], stdin: manifest)
        #expect(unset.status == 1)
        #expect(unset.stderr.contains("<stdin>:6:11: error: environment variable API_CPUS is not set"))
        let set = try VMCtlProcess.run(["validate", "-"], stdin: manifest, env: ["API_CPUS": "1"])
        #expect(set.status == 0, "\(set.stderr)")
    }

    @Test("--state-dir and VMCTL_STATE_DIR are accepted")
    func stateDirAccepted() throws {
        #expect(try VMCtlProcess.run(["validate", "--state-dir", "/tmp/vmctl-state", "examples/quickstart.yaml"]).status == 0)
        #expect(try VMCtlProcess.run(["schema", "--state-dir", "/tmp/vmctl-state"]).status == 0)
        #expect(try VMCtlProcess.run(["validate", "examples/quickstart.yaml"], env: ["VMCTL_STATE_DIR": "/tmp/x"]).status == 0)
    }
}
