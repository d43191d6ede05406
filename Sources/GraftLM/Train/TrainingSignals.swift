#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM during training: the first request asks the trainer to save and
/// stop after the current step; a second one exits at once (the last checkpoint stays intact,
/// as every save is atomic).
public enum TrainingSignals {
    nonisolated(unsafe) private static var requests: Int32 = 0

    /// Whether a stop was requested.
    public static var stopRequested: Bool { requests > 0 }

    /// Installs the handlers (idempotent).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            TrainingSignals.requests += 1
            if TrainingSignals.requests > 1 { _exit(130) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Clears a previous request (tests, or a new run in the same process).
    public static func reset() { requests = 0 }
}
