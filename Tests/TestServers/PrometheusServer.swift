import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway Prometheus (Debian's `prometheus`, which scripts/setup installs) on 127.0.0.1 that scrapes the given
/// targets every second, with its TSDB in a temporary folder: for tests that read metrics back as a user would, by
/// PromQL. `stop()` (also run by deinit) kills it, reaps it and removes the folder; call it in a `defer`.
///
///     let prometheus = try await PrometheusServer(scraping: ["127.0.0.1:\(port)"])
///     defer { prometheus.stop() }
///     try await prometheus.waitUntilTargetsUp()
///     let running = try await prometheus.query("vmctl_vm_running")   // [(labels, value)]
public final class PrometheusServer: @unchecked Sendable {  // the pid changes only in init and stop(), on the test's task
    public struct Sample: Equatable {
        public var labels: [String: String]
        public var value: String
    }

    public static let job = "vmctl"
    public let port: UInt16
    public let folder: String
    public let targets: [String]
    private var pid: pid_t?

    /// Starts Prometheus and waits until it is ready (`/-/ready`), at most `timeout`.
    public init(scraping targets: [String], timeout: Duration = .seconds(60)) async throws {
        let binary = try Spawned.locate("prometheus", package: "prometheus")
        self.targets = targets
        port = try Self.freeLoopbackPort()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: \(Self.job)
                static_configs:
                  - targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))]

            """.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        pid = try Spawned.start(binary, ["--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/data",
                                         "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"],
                                log: folder + "/prometheus.log")
        do {
            try await waitFor("Prometheus ready on 127.0.0.1:\(port)", timeout: timeout) {
                (try? await LoopbackHTTP.get(port: port, path: "/-/ready", timeoutSeconds: 2))?.status == 200
            }
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Prometheus's own log (stdout and stderr), for failure messages. Gone after `stop()`.
    public var log: String { (try? String(contentsOfFile: folder + "/prometheus.log", encoding: .utf8)) ?? "" }

    /// Waits until Prometheus has scraped every target successfully (`up` is 1 for each).
    public func waitUntilTargetsUp(timeout: Duration = .seconds(60)) async throws {
        try await waitFor("\(targets) up in Prometheus", timeout: timeout) {
            let up = (try? await self.query("up{job=\"\(Self.job)\"}")) ?? []
            return up.count == self.targets.count && up.allSatisfy { $0.value == "1" }
        }
    }

    /// An instant query through the HTTP API; the result must be a vector.
    public func query(_ promql: String) async throws -> [Sample] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: allowed) ?? promql
        let response = try await LoopbackHTTP.get(port: port, path: "/api/v1/query?query=\(encoded)")
        guard response.status == 200,
              let json = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any], data["resultType"] as? String == "vector",
              let result = data["result"] as? [[String: Any]]
        else { throw Spawned.Failure(description: "query \(promql): HTTP \(response.status): \(response.body)") }
        return result.map { series in
            Sample(labels: series["metric"] as? [String: String] ?? [:],
                   value: (series["value"] as? [Any])?.last as? String ?? "")
        }
    }

    public func stop() {
        guard let pid else { return }
        self.pid = nil
        Spawned.stop(pid)
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func waitFor(_ what: String, timeout: Duration, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            if let pid, Spawned.hasEnded(pid) {
                self.pid = nil
                throw Spawned.Failure(description: "prometheus exited while waiting for \(what): \(log)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Spawned.Failure(description: "timed out after \(timeout) waiting for \(what): \(log)")
    }

    /// A port that was free a moment ago (the kernel's pick for port 0).
    public static func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Spawned.Failure(description: "no free port on 127.0.0.1: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}
