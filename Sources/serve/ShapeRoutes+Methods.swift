import ConduitCore
import Foundation
import Hummingbird
import Logging

/// `POST /v1/shape` (subset parameters in a JSON body) and `DELETE /v1/shape`.
extension ShapeRoutes {
    /// Like GET, with the subset parameters of the JSON body (protocol.md §3.4); a request
    /// without a body is served like a GET.
    func post(_ request: Request, connection: ConnectionWatch, logger: Logger) async -> ShapeStep {
        let body: [UInt8]
        do {
            // ConnectionGuard has already refused bodies over the limit with 413.
            var buffer = try await request.body.collect(upTo: configuration.limits.maxBodyBytes)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            return .response(ErrorResponses.invalidBody(SubsetParameters.BodyError(error: "Failed to read request body")))
        }
        let pairs: [(key: String, value: String)]
        do {
            pairs = try SubsetParameters.pairs(fromBody: body)
        } catch {
            return .response(ErrorResponses.invalidBody(error))
        }
        return await step(
            query: request.uri.query,
            bodyPairs: pairs,
            ifNoneMatch: request.headers[values: .ifNoneMatch],
            logger: logger,
            connection: connection
        )
    }

    /// `DELETE /v1/shape` (protocol.md §8.8): 202 once router removed the shape (its clients get
    /// 409), 404 when none matches, 405 unless ``ServeConfiguration/allowShapeDeletion``.
    func delete(_ request: Request, logger: Logger) async -> Response {
        guard configuration.allowShapeDeletion else { return ErrorResponses.message(.methodNotAllowed, "DELETE not allowed") }
        let target: (definition: ShapeDefinition?, handle: String?)
        do {
            target = try Self.deletionTarget(QueryString.parse(request.uri.query))
        } catch {
            return ErrorResponses.invalidRequest(error.errors)
        }
        let outcome: DeleteOutcome
        do {
            outcome = try await resolver.deleteShape(definition: target.definition, handle: target.handle)
        } catch {
            logger.warning("Router did not answer a deletion", metadata: ["error": "\(error)"])
            return ErrorResponses.routerUnavailable
        }
        switch outcome {
        case .deleted(let handle):
            catalog.evict(handle)
            return Response(status: .accepted)
        case .notFound:
            return ErrorResponses.message(.notFound, "No existing shape found")
        case .handleMismatch:
            return ErrorResponses.message(
                .badRequest,
                "The specified shape definition and handle do not match. Please ensure the shape definition is correct "
                    + "or omit the shape handle from the request to obtain a new one.")
        case .rejected(let rejection):
            return ErrorResponses.rejected(rejection)
        }
    }

    /// The shape a DELETE names: a definition (`table`, `where`, `params[n]`, `columns`,
    /// `replica`, `log`) and/or a `handle`. Request-only parameters are ignored, but `live` must
    /// still be a boolean, as Electric casts it.
    static func deletionTarget(_ pairs: [(key: String, value: String)]) throws(ShapeRequestError)
        -> (definition: ShapeDefinition?, handle: String?)
    {
        func value(_ key: String) -> String? {
            pairs.last(where: { $0.key == key })?.value.trimmingCharacters(in: .whitespaces).nilIfEmpty
        }
        if let live = value("live"), live != "true", live != "false" { throw ShapeRequestError("live", "is invalid") }
        let handle = value("handle")
        guard value("table") != nil else {
            guard let handle else { throw ShapeRequestError("handle", "can't be blank when shape definition is missing") }
            return (nil, handle)
        }
        let ignored: Set<String> = ["offset", "live", "live_sse", "experimental_live_sse", "handle", "cursor"]
        let definitionPairs = pairs.filter { !ignored.contains($0.key) && !$0.key.hasPrefix("subset__") } + [(key: "offset", value: "-1")]
        return (try ShapeRequest.parse(definitionPairs).definition, handle)
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
