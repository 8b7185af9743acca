import TestSupport
import Testing

@testable import ConduitCore

struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI) appendix B.4 vectors.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    @Test func sliceByEightMatchesBitwiseReferenceAtEveryLengthAndAlignment() {
        var generator = SeededTestRandom(seed: 7)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC32C.checksum(data[start..<end]) == bitwiseCRC32C(data[start..<end]))
            }
        }
    }

    @Test func softwareLoopMatchesBitwiseReferenceAndTheDispatchedPath() {
        var generator = SeededTestRandom(seed: 11)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 5) {
                let software = data[start..<end].withUnsafeBytes { CRC32C.softwareUpdate(0, $0) }
                #expect(software == bitwiseCRC32C(data[start..<end]))
                // On x86-64 the dispatched path is the `crc32` instruction: it must agree.
                #expect(CRC32C.checksum(data[start..<end]) == software)
                let continued = data[start..<end].withUnsafeBytes { CRC32C.update(0x1234_5678, $0) }
                #expect(continued == data[start..<end].withUnsafeBytes { CRC32C.softwareUpdate(0x1234_5678, $0) })
            }
        }
    }

    #if arch(x86_64)
        /// Every x86-64 machine Conduit runs on has SSE 4.2; if this fails the fast path is off.
        @Test func x86MachinesUseTheInstruction() {
            #expect(CRC32C.usesHardware)
        }
    #endif

    @Test func incrementalUpdateEqualsOneShot() {
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        for split in 0...data.count {
            let first = data[..<split].withUnsafeBytes { CRC32C.update(0, $0) }
            let both = data[split...].withUnsafeBytes { CRC32C.update(first, $0) }
            #expect(both == CRC32C.checksum(data))
        }
    }

    private func bitwiseCRC32C(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
        }
        return ~crc
    }
}
