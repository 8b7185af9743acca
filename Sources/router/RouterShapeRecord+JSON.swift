import ConduitCore

/// Router's record of a shape (the shape document's `router` key, or `router.json`) read without
/// `JSONDecoder` (see ``JSONReadable``) and written without `JSONEncoder` (``JSONWritable``): the
/// same keys as its `Codable` conformances. One line per field.
extension RouterShapeRecord: JSONReadable {
    init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        version = try object.decodeIfPresent("version")
        identity = try object.decodeIfPresent("identity")
        columns = try object.decodeIfPresent("columns")
        visibility = try object.decodeIfPresent("visibility")
        replayFrom = try object.decodeIfPresent("replayFrom")
    }
}

extension RouterShapeRecord.Column: JSONReadable {
    init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        name = try object.decode("name")
        typeName = try object.decode("typeName")
        isArray = try object.decode("isArray")
        isEnum = try object.decode("isEnum")
    }
}

extension RouterShapeRecord.ReplayOrigin: JSONReadable {
    init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        spool = try object.decodeIfPresent("spool")
        commitEnd = try object.decode("commitEnd")
    }
}

extension SnapshotVisibility: JSONReadable {
    init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        xmin = try object.decode("xmin")
        xmax = try object.decode("xmax")
        xip = try object.decode("xip")
        horizon = try object.decodeIfPresent("horizon")
    }
}

// MARK: Writing (the keys `Encodable` writes, ``JSONWritable``: a new shape's document)

extension RouterShapeRecord: JSONWritable {
    func write(to writer: inout JSONWriter) {
        writer.object { members in
            members.add("version", version)
            members.add("identity", identity)
            members.add("columns", columns)
            members.add("visibility", visibility)
            members.add("replayFrom", replayFrom)
        }
    }
}

extension RouterShapeRecord.Column: JSONWritable {
    func write(to writer: inout JSONWriter) {
        writer.object { members in
            members.add("name", name)
            members.add("typeName", typeName)
            members.add("isArray", isArray)
            members.add("isEnum", isEnum)
        }
    }
}

extension RouterShapeRecord.ReplayOrigin: JSONWritable {
    func write(to writer: inout JSONWriter) {
        writer.object { members in
            members.add("spool", spool)
            members.add("commitEnd", commitEnd)
        }
    }
}

extension SnapshotVisibility: JSONWritable {
    func write(to writer: inout JSONWriter) {
        writer.object { members in
            members.add("xmin", xmin)
            members.add("xmax", xmax)
            members.add("xip", xip)
            members.add("horizon", horizon)
        }
    }
}
