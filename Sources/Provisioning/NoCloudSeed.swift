import Foundation
import VMCtlModel

/// The NoCloud seed of one image VM: `meta-data`, `user-data` and `network-config`, rendered deterministically
/// from a `SeedRequest` (and the `userData` file it names). Pure apart from reading that file.
public struct NoCloudSeed: Hashable, Sendable {
    /// `vmctl-` + 16 hex digits of the seed's digest; the runtime records it to tell "re-provision" apart.
    public var instanceID: String
    public var metaData: String
    public var userData: String
    public var networkConfig: String

    /// The three files, in the order they are written to the volume.
    public var files: [SeedFile] {
        [SeedFile(name: "meta-data", contents: metaData),
         SeedFile(name: "user-data", contents: userData),
         SeedFile(name: "network-config", contents: networkConfig)]
    }

    /// Renders the seed; `readFile` reads `cloudInit.userData` (tests pass a fake).
    public init(_ request: SeedRequest, readFile: (String) throws -> String = NoCloudSeed.readFile) throws {
        try request.validate()
        userData = try Self.userData(request, readFile: readFile)
        networkConfig = try NetworkConfig.render(request.nics)
        // The stack's names are refreshed by a per-boot bootcmd, so they stay out of the instance-id: a VM that
        // gains or loses a neighbour gets the new /etc/hosts at its next boot without being provisioned again.
        var withoutHosts = request
        withoutHosts.hosts = []
        let identity = request.hosts.isEmpty ? userData : try Self.userData(withoutHosts, readFile: readFile)
        instanceID = InstanceID.derive(hostname: request.vm, userData: identity, networkConfig: networkConfig)
        metaData = try MetaData.render(instanceID: instanceID, hostname: request.vm)
    }

    static func userData(_ request: SeedRequest, readFile: (String) throws -> String) throws -> String {
        let entries = UserDataBuilder.entries(request)
        var root = UserDataMerger.document(entries)
        if let path = request.cloudInit?.userData {
            let text: String
            do { text = try readFile(path) } catch let error as ProvisioningError { throw error } catch {
                throw ProvisioningError.userDataUnreadable(file: path, reason: Self.reason(error))
            }
            let merger = UserDataMerger(file: try UserDataFile(path: path, text: text),
                                        manifestUsers: Set(request.cloudInit?.users.map(\.name) ?? []))
            root = try merger.merge(entries)
        }
        return UserDataFile.header + "\n" + (try CloudConfigYAML.text(root))
    }

    /// Reads a UTF-8 text file.
    @Sendable public static func readFile(_ path: String) throws -> String {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ProvisioningError.userDataUnreadable(file: path, reason: "no such file")
        }
        guard !isFolder.boolValue else { throw ProvisioningError.userDataUnreadable(file: path, reason: "it is a folder") }
        guard files.isReadableFile(atPath: path), let data = files.contents(atPath: path) else {
            throw ProvisioningError.userDataUnreadable(file: path, reason: "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProvisioningError.userDataUnreadable(file: path, reason: "it is not UTF-8 text")
        }
        return text
    }

    private static func reason(_ error: Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }
}
