import Testing
@testable import Provisioning

/// The merge rules of docs/provisioning.md, and every error naming the file and line.
@Suite struct UserDataMergeTests {
    static let path = "/srv/manifests/web.cloud-config"

    static func seed(_ userData: String, request: SeedRequest = Fixtures.full) throws -> NoCloudSeed {
        var request = request
        request.cloudInit?.userData = path
        return try NoCloudSeed(request, readFile: { _ in userData })
    }

    static func message(_ userData: String) -> String? {
        do { _ = try seed(userData); return nil } catch { return "\(error)" }
    }

    @Test(arguments: [
        ("hostname: other\n", 2, "hostname cannot be set in userData: vmctl sets the hostname"),
        ("fqdn: web.example.com\n", 2, "fqdn cannot be set in userData"),
        ("preserve_hostname: true\n", 2, "preserve_hostname cannot be set"),
        ("runcmd: [ls]\nmanage_etc_hosts: true\n", 3, "manage_etc_hosts cannot be set in userData: vmctl manages /etc/hosts"),
        ("ssh_keys:\n  rsa_private: x\n", 2, "ssh_keys cannot be set in userData: vmctl installs the VM's SSH host key"),
        ("ssh_deletekeys: false\n", 2, "ssh_deletekeys cannot be set"),
        ("ssh_genkeytypes: [rsa]\n", 2, "ssh_genkeytypes cannot be set"),
        ("users:\n  - default\n  - name: vmctl\n", 4, "the user 'vmctl' cannot be declared in userData"),
        ("users: [carol, vmctl]\n", 2, "the user 'vmctl' cannot be declared"),
        ("users:\n  - name: alice\n", 3, "the user 'alice' is declared both in the manifest's cloudInit.users and in this file"),
        ("user:\n  name: vmctl\n", 3, "cannot be named 'vmctl'"),
        ("runcmd: ls\n", 2, "runcmd must be a list to be merged"),
        ("users: {bob: {}}\n", 2, "users must be a list"),
        ("write_files:\n  - path: /x\n    content: !!binary aGk=\n", 4, "the tag !!binary is not supported"),
        ("<<: {timezone: UTC}\n", 2, "a merge key (<<) at the top level is not supported"),
        ("- runcmd\n", 2, "must be a mapping of keys"),
        ("runcmd: [ls\n", 3, "invalid YAML"),
        ("timezone: UTC\ntimezone: CET\n", 2, "the key timezone appears twice"),
        ("timezone: [UTC\n  bad: {\n", 3, "invalid YAML"),
    ] as [(String, Int, String)])
    func refusedWithFileAndLine(_ body: String, _ line: Int, _ expected: String) throws {
        let message = try #require(Self.message("#cloud-config\n" + body), "accepted: \(body)")
        #expect(message.hasPrefix("\(Self.path):\(line)"), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func theFirstLineMustBeCloudConfig() throws {
        for text in ["#!/bin/sh\necho hi\n", "runcmd: [ls]\n", "", "## template: jinja\n#cloud-config\n"] {
            let message = try #require(Self.message(text), "accepted: \(text)")
            #expect(message.hasPrefix("\(Self.path):1: the first line must be '#cloud-config'"), "\(message)")
        }
    }

    @Test func anUnreadableFileIsNamed() {
        var request = Fixtures.full
        request.cloudInit?.userData = "/nonexistent/vmctl/user-data"
        #expect(throws: ProvisioningError.userDataUnreadable(file: "/nonexistent/vmctl/user-data", reason: "no such file")) {
            try NoCloudSeed(request)
        }
    }

    @Test func emptyDocumentsAddNothing() throws {
        let plain = try NoCloudSeed(Fixtures.full).userData
        #expect(try Self.seed("#cloud-config\n").userData == plain)
        #expect(try Self.seed("#cloud-config\n# nothing\n---\n").userData == plain)
    }

    @Test func anEmptyListAddsNothing() throws {
        #expect(try Self.seed("#cloud-config\nruncmd:\nbootcmd: ~\n").userData == NoCloudSeed(Fixtures.full).userData)
    }

    @Test func listsAreConcatenatedAfterVmctlsEntries() throws {
        let userData = try Self.seed("#cloud-config\nruncmd: [last]\nbootcmd: [early]\nusers: [default, carol]\nwrite_files: [{path: /z, content: z}]\n").userData
        let runcmd = try #require(userData.range(of: "runcmd:\n- systemctl enable --now nginx\n- 'echo ''done: yes'' > /run/provisioned'\n- last\n"))
        #expect(!runcmd.isEmpty)
        #expect(userData.contains("\n- early\nhostname: web\n"), "the file's bootcmd comes after vmctl's /etc/hosts command")
        #expect(userData.contains("\n- name: deploy\n- carol\nwrite_files:"), "the file's users come after vmctl's and the manifest's")
        #expect(userData.components(separatedBy: "- default\n").count == 2, "the file's 'default' is dropped (vmctl's list has it)")
        #expect(userData.hasSuffix("- content: z\n  path: /z\n"))
    }

    @Test func defaultsGiveWayAndOtherKeysPassThrough() throws {
        let userData = try Self.seed("#cloud-config\nlocale: de_DE.UTF-8\nssh_pwauth: true\nntp: {enabled: true}\n").userData
        #expect(userData.contains("\nlocale: de_DE.UTF-8\n") && !userData.contains("C.UTF-8"))
        #expect(userData.contains("\nssh_pwauth: true\n") && !userData.contains("ssh_pwauth: false"))
        #expect(userData.contains("\nntp:\n  enabled: true\n"))
    }

    /// Values keep their YAML 1.1 types when written again: quoted strings stay strings, plain values stay typed.
    @Test func scalarsKeepTheirTypes() throws {
        let userData = try Self.seed("#cloud-config\nruncmd: ['yes', \"0644\", 12:30, !!str on, !!int '7', ~]\n").userData
        #expect(userData.contains("""
            - 'yes'
            - "0644"
            - 12:30
            - "on"
            - 7
            - ~
            """))
    }

    @Test func anchorsAreExpandedNotRepeated() throws {
        let userData = try Self.seed("#cloud-config\nbootcmd: &cmds [a, b]\nruncmd: *cmds\n").userData
        #expect(!userData.contains("&cmds") && !userData.contains("*cmds"))
        #expect(userData.contains("- a\n- b\nssh_deletekeys"))
    }
}
