public enum Conduit { public static let version = "0.1.0" }
