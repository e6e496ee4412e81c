import VMMControl
import VMMDevices

extension VMStats.Net {
    /// The `stats` entry for one NIC. Counters saturate at Int.max (the wire's integers) instead of trapping.
    init(index: Int, spec: LaunchSpec.Net, counters: VirtioNetStats) {
        var drops: [String: Int] = [:]
        for (reason, count) in counters.drops where count > 0 {
            drops[reason.rawValue] = Int(clamping: count)
        }
        self.init(index: index, backend: spec.tap == nil ? .switch : .tap,
                  framesIn: Int(clamping: counters.framesIn), bytesIn: Int(clamping: counters.bytesIn),
                  framesOut: Int(clamping: counters.framesOut), bytesOut: Int(clamping: counters.bytesOut),
                  invalidChains: Int(clamping: counters.invalidChains), drops: drops)
    }
}
