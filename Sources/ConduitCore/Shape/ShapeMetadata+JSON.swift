/// The shape's document (``ChangeLogDocument``, or an older shape's `shape.json`) read without
/// `JSONDecoder` (see ``JSONReadable``): the same keys and the same defaults as the `Codable`
/// conformances that write it. One line per field.
extension ShapeMetadata: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        version = try object.decode("version")
        handle = try object.decode("handle")
        definition = try object.decode("definition")
        relationID = try object.decode("relationID")
        primaryKey = try object.decode("primaryKey")
        columns = try object.decode("columns")
        schemaHeader = try object.decode("schemaHeader")
        normalizedWhere = try object.decodeIfPresent("normalizedWhere")
        stateRecord = try object.decodeIfPresent("stateRecord")
    }
}

extension ShapeDefinition: JSONReadable {
    /// As ``init(from:)``: definitions written before `log` existed read as `log=full`.
    public init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        schema = try object.decode("schema")
        table = try object.decode("table")
        whereClause = try object.decodeIfPresent("whereClause")
        params = try object.decodeIfPresent("params") ?? [:]
        columns = try object.decodeIfPresent("columns")
        replica = try object.decodeIfPresent("replica") ?? .default
        log = try object.decodeIfPresent("log") ?? .full
    }
}

extension ReplicaMode: JSONReadable {}
extension LogMode: JSONReadable {}

extension LSN: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) {
        self.init(try UInt64(json: json))
    }
}

extension SpoolPosition: JSONReadable {
    public init(json: JSONNode) throws(JSONReadError) {
        let object = try JSONObject(json)
        segment = try object.decode("segment")
        offset = try object.decode("offset")
    }
}

// MARK: Writing (the keys `Encodable` writes, ``JSONWritable``)

extension ShapeMetadata: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { writeMembers(into: &$0) }
    }

    /// This metadata's members, for a document that adds more beside them (router's record).
    func writeMembers(into members: inout JSONObjectMembers) {
        members.add("version", version)
        members.add("handle", handle)
        members.add("definition", definition)
        members.add("relationID", relationID)
        members.add("primaryKey", primaryKey)
        members.add("columns", columns)
        members.add("schemaHeader", schemaHeader)
        members.add("normalizedWhere", normalizedWhere)
        members.add("stateRecord", stateRecord)
    }
}

extension ShapeDefinition: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { members in
            members.add("schema", schema)
            members.add("table", table)
            members.add("whereClause", whereClause)
            members.add("params", params)
            members.add("columns", columns)
            members.add("replica", replica.rawValue)
            members.add("log", log.rawValue)
        }
    }
}

extension LSN: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.integer(value) }
}

extension SpoolPosition: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { members in
            members.add("segment", segment)
            members.add("offset", offset)
        }
    }
}
