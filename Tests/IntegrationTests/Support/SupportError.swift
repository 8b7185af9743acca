/// A failure of the integration-test support code, with the text a failing test should show
/// (process logs included where they explain it).
struct SupportError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
