import Foundation

/// A numeric IPv4 or bracketed IPv6 address with a port, as `--metrics-address` takes it.
struct ListenAddress: Sendable {
    var family: Int32
    var host: String
    var port: UInt16

    init(_ address: String) throws {
        let (host, portText): (Substring, Substring)
        if address.hasPrefix("["), let close = address.firstIndex(of: "]"), address[close...].hasPrefix("]:") {
            host = address[address.index(after: address.startIndex)..<close]
            portText = address[address.index(close, offsetBy: 2)...]
            family = AF_INET6
        } else if let colon = address.lastIndex(of: ":"), !address[..<colon].contains(":") {
            host = address[..<colon]
            portText = address[address.index(after: colon)...]
            family = AF_INET
        } else {
            throw MetricsAddressError(address: address, reason: "expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464")
        }
        guard let port = UInt16(portText) else {
            throw MetricsAddressError(address: address, reason: "the port must be a number from 0 to 65535")
        }
        var probe = in6_addr()
        guard inet_pton(family, String(host), &probe) == 1 else {
            throw MetricsAddressError(address: address, reason: "'\(host)' is not a numeric IPv4 or IPv6 address")
        }
        self.host = String(host)
        self.port = port
    }
}

/// What to send back for one request.
struct HTTPAnswer {
    var status: Int
    var reason: String
    var contentType = "text/plain; charset=utf-8"
    var body: String
    var headOnly = false
    var allow: String?

    init(status: Int, reason: String, contentType: String = "text/plain; charset=utf-8", body: String, headOnly: Bool = false, allow: String? = nil) {
        self.status = status
        self.reason = reason
        self.contentType = contentType
        self.body = body
        self.headOnly = headOnly
        self.allow = allow
    }

    var bytes: [UInt8] {
        let body = Array(self.body.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        if let allow { head += "Allow: \(allow)\r\n" }
        return Array((head + "\r\n").utf8) + (headOnly ? [] : body)
    }
}

/// One listening TCP socket served by one thread, a connection at a time: request line in, answer out, close. Reads and
/// writes time out after 5 s, so a client that stalls holds the next scrape up for that long at most.
final class HTTPListener: @unchecked Sendable {
    private let respond: @Sendable (_ method: String, _ path: String) -> HTTPAnswer
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var boundPort: UInt16?
    private var stopped = false

    init(respond: @escaping @Sendable (_ method: String, _ path: String) -> HTTPAnswer) {
        self.respond = respond
    }

    var port: UInt16? { lock.withLock { boundPort } }

    func bind(_ address: ListenAddress) throws {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if address.family == AF_INET6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &sa.sin6_addr)
            bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.host, &sa.sin_addr)
            bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let failure = POSIXFailure("bind \(address.host) port \(address.port)")
            close(fd)
            throw failure
        }
        var storage = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        // sin_port and sin6_port sit at the same offset.
        let port = UInt16(bigEndian: storage.sin6_port)
        lock.withLock {
            self.fd = fd
            boundPort = port
        }
    }

    /// Accepts until `stop()`.
    func serve() {
        while true {
            let listening = lock.withLock { stopped ? -1 : fd }
            guard listening >= 0 else { return }
            let client = accept(listening, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { continue }
                return   // shut down by stop(), or the socket is gone
            }
            // accept4 is not in Glibc's Swift overlay; close-on-exec at once so a VMM started meanwhile never keeps it.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            handle(client)
            close(client)
        }
    }

    func stop() {
        lock.withLock {
            stopped = true
            // shutdown wakes the thread blocked in accept; it closes nothing another thread still uses.
            if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        // The request head only (a GET has no body); 16 KiB is more than any scraper sends.
        while request.count < 16 << 10, !Self.hasBlankLine(request) {
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { break }
            request += buffer[..<count]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let answer: HTTPAnswer
        if line.count == 3, line[2].hasPrefix("HTTP/1.") {
            let path = line[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            answer = respond(String(line[0]), path)
        } else {
            answer = HTTPAnswer(status: 400, reason: "Bad Request", body: "bad request\n")
        }
        let bytes = answer.bytes
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }
}

extension HTTPListener {
    /// The head of a request ends with an empty line.
    static func hasBlankLine(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return true
        }
        return false
    }
}

struct POSIXFailure: Error, CustomStringConvertible {
    var description: String
    init(_ operation: String) { description = "\(operation): \(String(cString: strerror(errno)))" }
}
