import ConduitCore

/// A shape being created: the definition as resolved, and every request waiting for it (equal
/// definitions arriving meanwhile join instead of starting a second snapshot).
struct PendingCreation: Sendable {
    var resolved: ResolvedShape
    var waiters: [ShapeRequestOrigin]
    /// The request definitions to remember for the handle once it exists.
    var definitions: Set<ShapeDefinition>

    func replyAll(handle: String) {
        for waiter in waiters { waiter.reply(handle: handle) }
    }

    func rejectAll(_ rejection: ShapeRejection) {
        for waiter in waiters { waiter.reject(rejection) }
    }
}
