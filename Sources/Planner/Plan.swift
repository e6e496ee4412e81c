import VMCtlModel

public enum ResourceKind: String, Hashable, Sendable, Codable, Comparable {
    case network
    case volume
    case vm

    public static func < (a: ResourceKind, b: ResourceKind) -> Bool { a.order < b.order }
    private var order: Int { self == .network ? 0 : self == .volume ? 1 : 2 }
}

/// `vm.web-0`, `network.front`, `volume.pgdata`.
public struct ResourceAddress: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var kind: ResourceKind
    public var name: String

    public init(_ kind: ResourceKind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(kind.rawValue).\(name)" }

    public static func < (a: ResourceAddress, b: ResourceAddress) -> Bool { (a.kind, a.name) < (b.kind, b.name) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let dot = text.firstIndex(of: "."), let kind = ResourceKind(rawValue: String(text[..<dot])) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a resource address: \(text)"))
        }
        self.init(kind, String(text[text.index(after: dot)...]))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public enum Action: String, Hashable, Sendable, Codable, CaseIterable {
    case create, start, stop, restart, reset, update, replace, delete, noop
}

/// How much a change disturbs what runs, from least to most.
public enum Impact: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
    /// Nothing that runs is disturbed (a create, a start).
    case none
    /// Applied while the VM runs.
    case live
    /// The VM goes down (and comes back, unless it is being stopped).
    case restart
    /// The VM is destroyed and created again; its volumes are kept.
    case recreate
    /// The VM is removed for good; its volumes are kept.
    case destroy
    /// Stored data is deleted (a volume).
    case dataLoss = "data-loss"

    public static func < (a: Impact, b: Impact) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One field that differs between what runs and what the manifest wants.
public struct FieldDiff: Hashable, Sendable, Codable {
    public var field: String
    public var before: String?
    public var after: String?
    public var impact: Impact

    public init(field: String, before: String?, after: String?, impact: Impact) {
        self.field = field
        self.before = before
        self.after = after
        self.impact = impact
    }
}

public struct Change: Hashable, Sendable, Codable {
    public var address: ResourceAddress
    public var action: Action
    public var impact: Impact
    /// Sentences for people: why this action, what it does. Never parsed.
    public var reasons: [String]
    public var diffs: [FieldDiff]
    /// 1-based; changes in one wave may run in parallel.
    public var wave: Int

    public init(address: ResourceAddress, action: Action, impact: Impact, reasons: [String], diffs: [FieldDiff] = [], wave: Int = 0) {
        self.address = address
        self.action = action
        self.impact = impact
        self.reasons = reasons
        self.diffs = diffs
        self.wave = wave
    }
}

/// A resource the plan leaves alone on purpose, with why (e.g. not in the manifest and no --prune).
public struct KeptResource: Hashable, Sendable, Codable {
    public var address: ResourceAddress
    public var reason: String
}

/// A resource the plan cannot touch because its state on the host cannot be read (a damaged `vm.json`): the rest of
/// the stack is planned and applied, this one is left as it is, and plan and apply say so and exit 1.
public struct BlockedResource: Hashable, Sendable, Codable {
    public var address: ResourceAddress
    public var message: String
    public var hint: String?
}

/// A reason the plan cannot be applied at all (capacity, a volume that would shrink).
public struct Refusal: Hashable, Sendable, Codable {
    public var address: ResourceAddress?
    public var message: String
    public var hint: String?
}

public struct CapacityUse: Hashable, Sendable, Codable {
    public var now: Double
    public var after: Double
    /// The most in use at any moment while the waves run (changes of one wave count at the larger of their
    /// VM's use before and after, since they run in parallel).
    public var peak: Double
    public var limit: Double

    public init(now: Double, after: Double, peak: Double? = nil, limit: Double) {
        self.now = now
        self.after = after
        self.peak = peak ?? max(now, after)
        self.limit = limit
    }
}

public struct CapacityReport: Hashable, Sendable, Codable {
    /// vCPUs of VMs holding resources, before and after the plan, and the stack's limit.
    public var vcpus: CapacityUse
    /// Bytes of memory, likewise.
    public var memory: CapacityUse
}

public struct PlanOptions: Hashable, Sendable, Codable {
    /// Delete VMs and networks of the stack that are no longer in the manifest.
    public var prune: Bool
    /// Delete volumes that are no longer in the manifest (data loss).
    public var pruneVolumes: Bool

    public init(prune: Bool = false, pruneVolumes: Bool = false) {
        self.prune = prune
        self.pruneVolumes = pruneVolumes
    }

    enum CodingKeys: String, CodingKey { case prune, pruneVolumes }

    // A flag left out of a fixture or saved plan means it was not given, as on the command line.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prune = try c.decodeIfPresent(Bool.self, forKey: .prune) ?? false
        pruneVolumes = try c.decodeIfPresent(Bool.self, forKey: .pruneVolumes) ?? false
    }
}

public struct Plan: Hashable, Sendable, Codable {
    public static let formatVersion = 1

    public var formatVersion: Int
    public var stack: String
    public var options: PlanOptions
    /// One entry per resource of the stack, ordered by wave then address; `noop`s (wave 0) come first.
    public var changes: [Change]
    public var kept: [KeptResource]
    public var refusals: [Refusal]
    /// Also listed in `kept` (the JSON form shows them there); here for apply, which skips what depends on them.
    public var blocked: [BlockedResource] = []
    public var capacity: CapacityReport

    enum CodingKeys: String, CodingKey { case formatVersion, stack, options, changes, kept, refusals, blocked, capacity }

    public init(formatVersion: Int, stack: String, options: PlanOptions, changes: [Change], kept: [KeptResource],
                refusals: [Refusal], blocked: [BlockedResource] = [], capacity: CapacityReport) {
        self.formatVersion = formatVersion
        self.stack = stack
        self.options = options
        self.changes = changes
        self.kept = kept
        self.refusals = refusals
        self.blocked = blocked
        self.capacity = capacity
    }

    // Plans saved before `blocked` existed have none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        stack = try c.decode(String.self, forKey: .stack)
        options = try c.decode(PlanOptions.self, forKey: .options)
        changes = try c.decode([Change].self, forKey: .changes)
        kept = try c.decode([KeptResource].self, forKey: .kept)
        refusals = try c.decode([Refusal].self, forKey: .refusals)
        blocked = try c.decodeIfPresent([BlockedResource].self, forKey: .blocked) ?? []
        capacity = try c.decode(CapacityReport.self, forKey: .capacity)
    }

    public var hasChanges: Bool { changes.contains { $0.action != .noop } }
    public var isApplicable: Bool { refusals.isEmpty }

    public var waves: [[ResourceAddress]] {
        let count = changes.map(\.wave).max() ?? 0
        return (1...max(1, count)).map { wave in changes.filter { $0.wave == wave }.map(\.address) }.filter { !$0.isEmpty }
    }

    public func count(_ action: Action) -> Int { changes.count { $0.action == action } }
}
