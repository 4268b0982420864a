import Glibc

/// A wall-clock time of day, as the chat stamps its messages (`HH:MM:SS`, the server's local time).
public struct TimeOfDay: Equatable, Sendable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(hour: Int, minute: Int, second: Int) {
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// `HH:MM:SS`.
    public var description: String {
        [hour, minute, second].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
    }

    /// The current local time.
    ///
    /// Safety: the module's only unsafe code. `localtime_r` writes only into the two local values
    /// whose addresses it gets, for the duration of the call (localtime(3));
    /// the standard library has no wall clock, and Foundation is not worth linking for a timestamp.
    public static func now() -> TimeOfDay {
        var seconds = time(nil)
        var parts = unsafe tm()  // unsafe type: tm_zone is a pointer, never read here
        guard unsafe localtime_r(&seconds, &parts) != nil else {
            let secondOfDay = Int(seconds % 86_400)
            return TimeOfDay(hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60)
        }
        return unsafe TimeOfDay(hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }
}
