import NIOCore
import Synchronization

/// Bounds the connections the server holds open at once: a connection over the bound is
/// closed as soon as it is accepted, before any of its bytes are read, so a flood of idle or
/// slow clients cannot take every file descriptor. Slow clients are closed by the HTTP
/// channel's idle timeout (see `ServerSettings.idleTimeout`).
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)

    init(maximum: Int) { self.maximum = maximum }

    var current: Int { open.load(ordering: .relaxed) }

    /// A handler for one connection's pipeline.
    func handler() -> Handler { Handler(limit: self) }

    fileprivate func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if now > maximum {
            open.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return false
        }
        return true
    }

    fileprivate func leave() { open.wrappingSubtract(1, ordering: .acquiringAndReleasing) }

    /// Passes every request part through; counts the connection while its pipeline lives.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        // Never unwrapped: every read passes through untouched.
        typealias InboundIn = Any

        let limit: ConnectionLimit
        var admitted = false

        init(limit: ConnectionLimit) { self.limit = limit }

        func handlerAdded(context: ChannelHandlerContext) {
            admitted = limit.admit()
            if !admitted { context.close(promise: nil) }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if admitted { limit.leave() }
            admitted = false
        }
    }
}
