import Foundation

/// Runs async work (GatewayClient queries) from the synchronous scenario code and waits for it.
func waitFor<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let semaphore = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await operation())) } catch { box.set(.failure(error)) }
        semaphore.signal()
    }
    semaphore.wait()
    return try box.get()
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?

    func set(_ value: Result<T, Error>) { lock.withLock { result = value } }
    func get() throws -> T { try lock.withLock { result! }.get() }
}

/// `waitFor` bounded by `seconds`: nil when the operation failed or did not finish in time (it then
/// finishes, or fails with the client's own query timeout, in the background).
func waitFor<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) -> T? {
    let box = ResultBox<T>()
    let semaphore = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await operation())) } catch { box.set(.failure(error)) }
        semaphore.signal()
    }
    guard semaphore.wait(timeout: .now() + seconds) == .success else { return nil }
    return try? box.get()
}
