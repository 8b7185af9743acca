import ConduitCore

/// Router's record of a shape (the shape document's `router` key, or `router.json`) read without `JSONDecoder` (see ``JSONReadable``): the same keys as the
/// `Codable` conformances that write it. One line per field.
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
