@testable import ConduitCore
@testable import Spool

/// Test-side encoder: builds pgoutput v1 and replication CopyData bytes for fixtures, following the
/// layouts documented on the decoder types (the postgres-nio `PSQLBackendMessageEncoder` idea).
struct PgOutputTestEncoder {
    var bytes: [UInt8] = []

    static func encode(_ message: PgOutputMessage) -> [UInt8] {
        var encoder = PgOutputTestEncoder()
        encoder.write(message)
        return encoder.bytes
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func ascii(_ character: Character) { bytes.append(character.asciiValue!) }
    mutating func string(_ value: String) {
        bytes.append(contentsOf: Array(value.utf8))
        bytes.append(0)
    }

    mutating func tuple(_ tuple: TupleData) {
        u16(UInt16(tuple.columns.count))
        for column in tuple.columns {
            switch column {
            case .null: ascii("n")
            case .unchangedToast: ascii("u")
            case .text(let value):
                ascii("t")
                u32(UInt32(value.count))
                bytes.append(contentsOf: value)
            case .binary(let value):
                ascii("b")
                u32(UInt32(value.count))
                bytes.append(contentsOf: value)
            }
        }
    }

    mutating func write(_ message: PgOutputMessage) {
        switch message {
        case .begin(let begin):
            ascii("B")
            u64(begin.finalLSN.value)
            i64(begin.commitTimestamp)
            u32(begin.xid)
        case .commit(let commit):
            ascii("C")
            u8(commit.flags)
            u64(commit.commitLSN.value)
            u64(commit.endLSN.value)
            i64(commit.commitTimestamp)
        case .relation(let relation):
            ascii("R")
            u32(relation.relationID)
            string(relation.namespace)
            string(relation.name)
            u8(relation.replicaIdentity.rawValue)
            u16(UInt16(relation.columns.count))
            for column in relation.columns {
                u8(column.flags)
                string(column.name)
                u32(column.typeOID)
                i32(column.typeModifier)
            }
        case .type(let type):
            ascii("Y")
            u32(type.oid)
            string(type.namespace)
            string(type.name)
        case .insert(let insert):
            ascii("I")
            u32(insert.relationID)
            ascii("N")
            tuple(insert.newTuple)
        case .update(let update):
            ascii("U")
            u32(update.relationID)
            if let old = update.old {
                u8(old.kind.rawValue)
                tuple(old.tuple)
            }
            ascii("N")
            tuple(update.newTuple)
        case .delete(let delete):
            ascii("D")
            u32(delete.relationID)
            u8(delete.old.kind.rawValue)
            tuple(delete.old.tuple)
        case .truncate(let truncate):
            ascii("T")
            u32(UInt32(truncate.relationIDs.count))
            u8(truncate.options.rawValue)
            for id in truncate.relationIDs { u32(id) }
        case .origin(let origin):
            ascii("O")
            u64(origin.commitLSN.value)
            string(origin.name)
        case .logicalMessage(let message):
            ascii("M")
            u8(message.flags)
            u64(message.lsn.value)
            string(message.prefix)
            u32(UInt32(message.content.count))
            bytes.append(contentsOf: message.content)
        case .unknown(let tag):
            u8(tag)
        }
    }

    /// A `w` XLogData CopyData frame around `payload`.
    static func xLogData(dataStart: LSN, walEnd: LSN, sendTime: Int64, payload: [UInt8]) -> [UInt8] {
        var encoder = PgOutputTestEncoder()
        encoder.ascii("w")
        encoder.u64(dataStart.value)
        encoder.u64(walEnd.value)
        encoder.i64(sendTime)
        encoder.bytes.append(contentsOf: payload)
        return encoder.bytes
    }

    /// A `k` PrimaryKeepalive CopyData frame.
    static func keepalive(walEnd: LSN, sendTime: Int64, replyRequested: Bool) -> [UInt8] {
        var encoder = PgOutputTestEncoder()
        encoder.ascii("k")
        encoder.u64(walEnd.value)
        encoder.i64(sendTime)
        encoder.u8(replyRequested ? 1 : 0)
        return encoder.bytes
    }
}

/// Sample messages covering every modelled message kind and every tuple column kind.
enum PgOutputFixtures {
    static func text(_ string: String) -> TupleData.Column { .text(Array(string.utf8)[...]) }

    static let relation = PgOutputMessage.Relation(
        relationID: 16_385,
        namespace: "public",
        name: "items",
        replicaIdentity: .default,
        columns: [
            .init(flags: 1, name: "id", typeOID: 20, typeModifier: -1),
            .init(flags: 0, name: "title", typeOID: 1043, typeModifier: 68),
            .init(flags: 0, name: "body", typeOID: 25, typeModifier: -1),
        ]
    )

    static let all: [PgOutputMessage] = [
        .begin(.init(finalLSN: LSN(0x16_B374_D848), commitTimestamp: 784_000_000_123_456, xid: 778)),
        .commit(.init(flags: 0, commitLSN: LSN(0x16_B374_D848), endLSN: LSN(0x16_B374_D878), commitTimestamp: 784_000_000_123_456)),
        .relation(relation),
        .relation(.init(relationID: 7, namespace: "", name: "ünïcode tâble", replicaIdentity: .full, columns: [])),
        .type(.init(oid: 90_001, namespace: "public", name: "mood")),
        .insert(.init(relationID: 16_385, newTuple: TupleData(columns: [text("1"), text("héllo"), .null]))),
        .update(.init(relationID: 16_385, old: nil, newTuple: TupleData(columns: [text("1"), text("x"), .unchangedToast]))),
        .update(
            .init(
                relationID: 16_385, old: .init(kind: .key, tuple: TupleData(columns: [text("1"), .null, .null])),
                newTuple: TupleData(columns: [text("2"), text("x"), .unchangedToast]))),
        .update(
            .init(
                relationID: 16_385, old: .init(kind: .full, tuple: TupleData(columns: [text("1"), text(""), .null])),
                newTuple: TupleData(columns: [text("1"), text("y"), .binary([0, 1, 2, 255][...])]))),
        .delete(.init(relationID: 16_385, old: .init(kind: .key, tuple: TupleData(columns: [text("1"), .null, .null])))),
        .delete(.init(relationID: 16_385, old: .init(kind: .full, tuple: TupleData(columns: [text("1"), text("t"), text("b")])))),
        .truncate(.init(relationIDs: [16_385, 16_390], options: [.cascade, .restartIdentity])),
        .truncate(.init(relationIDs: [], options: [])),
        .origin(.init(commitLSN: LSN(42), name: "upstream")),
        .logicalMessage(.init(flags: 1, lsn: LSN(0x1000), prefix: "conduit.watermark", content: Array("{\"n\":1}".utf8)[...])),
        .logicalMessage(.init(flags: 0, lsn: LSN(0x1001), prefix: "", content: [][...])),
    ]
}
